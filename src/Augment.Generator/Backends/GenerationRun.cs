using Augment.Data;
using Augment.Data.Numerics;
using Augment.Data.Video;

namespace Augment.Generator.Backends;

/// <summary>One clip to make: clip <see cref="Index"/> of a class, with its own seed.</summary>
public sealed record ClipJob(string Label, string Prompt, int Index, long Seed);

/// <summary>The sampler settings a clip is made with; a resumed run keeps a clip only when they are the same.</summary>
public sealed record ClipSettings(int Steps, double Cfg, double Shift, string Solver)
{
    public static ClipSettings Of(SamplerConfig s) => new(s.Steps, s.Cfg, s.Shift, s.Solver);
    /// <summary>Clips made elsewhere (imported): no sampler ran here.</summary>
    public static readonly ClipSettings None = new(0, 0, 0, "");
}

/// <summary>
/// The part every backend shares: for each requested class and index, make the clip (or keep the one on disk), resize
/// it to the dataset clip size and write clips/&lt;label&gt;/&lt;index&gt;.mp4 with a sidecar &lt;index&gt;.json (its
/// entry), then clips.jsonl listing every clip in class order, then index. Nothing is judged here: the quality gate is
/// its own stage (Augment.Synthetic.GateRun), so re-gating never regenerates.
/// Resume: a clip whose sidecar names the same generator, checkpoint, seed and sampler settings, and whose mp4 exists
/// (or whose failure is recorded), is not made again, so a killed run picks up where it stopped.
/// Clip i of a class depends only on (seed, label, i), so asking for 5 clips gives a prefix of asking for 10.
/// describe lets a backend record its own prompt and seed for a clip (imported clips carry theirs).
/// </summary>
public static class GenerationRun
{
    public const double Fps = 8;

    public static GenerationResult Execute(IVideoGenerator generator, GenerationRequest request, ClipSettings settings,
        Func<ClipJob, Clip> make, IProgress<double>? progress, CancellationToken cancel, Func<ClipJob, ClipJob>? describe = null)
    {
        using var tensors = TorchSharp.torch.NewDisposeScope(); // no tensor left to the finalizer thread (see ClassifierTrainer.Train)
        var dataset = request.Dataset;
        foreach (var label in request.PerClass.Keys) dataset.ClassIndex(label);
        int total = request.PerClass.Values.Sum(), done = 0;
        var entries = new List<GeneratedClip>();
        var made = new Dictionary<string, int>();
        var failed = new Dictionary<string, int>();
        foreach (var label in dataset.Classes.Where(request.PerClass.ContainsKey))
        {
            var prompt = Training.TrainingSet.PromptOf(dataset, label);
            for (int index = 0; index < request.PerClass[label]; index++)
            {
                cancel.ThrowIfCancellationRequested();
                var job = new ClipJob(label, prompt, index, Seeds.Derive(request.Seed, $"{label}/{index}"));
                if (describe is not null) job = describe(job);
                var relative = Path.Combine("clips", GeneratedClips.SafeName(label), $"{index}.mp4");
                var mp4 = Path.Combine(request.OutDir, relative);
                var sidecar = Path.ChangeExtension(mp4, ".json");
                var wanted = new GeneratedClip
                {
                    Path = relative, Label = label, Index = index, Prompt = job.Prompt, Generator = generator.Name,
                    CheckpointHash = generator.CheckpointHash, Seed = job.Seed,
                    Steps = settings.Steps, Cfg = settings.Cfg, Shift = settings.Shift, Solver = settings.Solver,
                };
                var entry = Reuse(mp4, sidecar, wanted);
                if (entry is null)
                {
                    entry = Make(wanted, job, request.Spec, make, mp4);
                    AtomicFile.WriteJson(sidecar, entry);
                }
                entries.Add(entry);
                var counts = entry.Failure is null ? made : failed;
                counts[label] = counts.GetValueOrDefault(label) + 1;
                progress?.Report(++done / (double)Math.Max(1, total));
            }
        }
        var list = Path.Combine(request.OutDir, GeneratedClips.FileName);
        GeneratedClips.Write(list, entries);
        return new GenerationResult(list, made, failed);
    }

    static GeneratedClip Make(GeneratedClip entry, ClipJob job, ClipSpec spec, Func<ClipJob, Clip> make, string mp4)
    {
        Clip clip;
        try { clip = ClipTensors.Resize(make(job), spec); }
        catch (VideoReadException e) { return entry with { Failure = $"unreadable: {e.Problem}" }; }
        catch (NonFiniteOutputException e) { return entry with { Failure = e.Message }; }
        VideoIO.WriteMp4(mp4, clip, Fps);
        return entry;
    }

    static GeneratedClip? Reuse(string mp4, string sidecar, GeneratedClip wanted)
    {
        if (!File.Exists(sidecar)) return null;
        GeneratedClip stored;
        try { stored = AtomicFile.ReadJson<GeneratedClip>(sidecar); }
        catch (System.Text.Json.JsonException) { return null; }
        bool same = stored with { Failure = null } == wanted;
        return same && (stored.Failure is not null || File.Exists(mp4)) ? stored : null;
    }
}
