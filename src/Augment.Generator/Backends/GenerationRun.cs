using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Numerics;
using Augment.Data.Video;
using Augment.Generator.Gate;

namespace Augment.Generator.Backends;

/// <summary>One clip to make: clip <see cref="Index"/> of a class, with its own seed.</summary>
public sealed record ClipJob(string Label, string Prompt, int Index, long Seed);

/// <summary>
/// The part every backend shares: for each requested class and index, make the clip (or reuse it), resize it to the
/// dataset clip size, gate it, write clips/&lt;label&gt;/&lt;index&gt;.mp4 and a sidecar &lt;index&gt;.json holding its
/// manifest entry, then write manifest.jsonl (class order, then index), one contact sheet per class, and gate.json (the
/// thresholds in force).
/// Resume: a clip whose mp4 and sidecar both exist and whose sidecar names the same generator, checkpoint, seed, steps
/// and cfg is not made again, so a killed run picks up where it stopped.
/// Clip i of a class depends only on (seed, label, i), so asking for 5 clips gives a prefix of asking for 10.
/// describe lets a backend record its own prompt and seed for a clip (imported clips carry theirs).
/// </summary>
public static class GenerationRun
{
    public const double Fps = 8;
    public const string GateFile = "gate.json";
    const int SheetClips = 8;

    public static GenerationResult Execute(IVideoGenerator generator, GenerationRequest request, ClipCache realClips, GateOptions gateOptions,
        int steps, double cfg, Func<ClipJob, Clip> make, IProgress<double>? progress, CancellationToken cancel,
        Func<ClipJob, ClipJob>? describe = null)
    {
        var dataset = request.Dataset;
        foreach (var label in request.PerClass.Keys) dataset.ClassIndex(label);
        var gate = new Lazy<QualityGate>(() =>
        {
            var built = new QualityGate(gateOptions, TrainingClips(dataset, request.Spec, realClips));
            // The thresholds in force (calibrated ones are computed here, from this dataset's training clips).
            AtomicFile.WriteJson(Path.Combine(request.OutDir, GateFile), built.Thresholds);
            return built;
        });
        int total = request.PerClass.Values.Sum(), done = 0;
        var entries = new List<SyntheticClip>();
        var sheets = new List<string>();
        var accepted = new Dictionary<string, int>();
        var rejected = new Dictionary<string, int>();
        foreach (var label in dataset.Classes.Where(request.PerClass.ContainsKey))
        {
            var prompt = Training.TrainingSet.PromptOf(dataset, label);
            var sheet = new List<(Clip, bool)>();
            for (int index = 0; index < request.PerClass[label]; index++)
            {
                cancel.ThrowIfCancellationRequested();
                var job = new ClipJob(label, prompt, index, Seeds.Derive(request.Seed, $"{label}/{index}"));
                if (describe is not null) job = describe(job);
                var relative = Path.Combine("clips", SafeName(label), $"{index}.mp4");
                var mp4 = Path.Combine(request.OutDir, relative);
                var sidecar = Path.ChangeExtension(mp4, ".json");
                var entry = Reuse(mp4, sidecar, generator, job, steps, cfg);
                Clip? clip = null;
                if (entry is null)
                {
                    (entry, clip) = Make(generator, job, relative, request.Spec, gate.Value, steps, cfg, make);
                    if (clip is not null) VideoIO.WriteMp4(mp4, clip, Fps);
                    AtomicFile.WriteJson(sidecar, entry);
                }
                else if (sheet.Count < SheetClips && File.Exists(mp4))
                {
                    clip = VideoIO.Read(mp4, request.Spec);
                }
                if (clip is not null && sheet.Count < SheetClips) sheet.Add((clip, entry.Accepted));
                entries.Add(entry);
                var counts = entry.Accepted ? accepted : rejected;
                counts[label] = counts.GetValueOrDefault(label) + 1;
                progress?.Report(++done / (double)Math.Max(1, total));
            }
            if (sheet.Count > 0)
            {
                var path = Path.Combine(request.OutDir, $"contact_{SafeName(label)}.png");
                ContactSheet.Write(path, $"{generator.Name} / {label}: {accepted.GetValueOrDefault(label)} accepted, {rejected.GetValueOrDefault(label)} rejected", sheet);
                sheets.Add(path);
            }
        }
        var manifest = Path.Combine(request.OutDir, SyntheticManifest.FileName);
        SyntheticManifest.Write(manifest, entries);
        return new GenerationResult(manifest, accepted, rejected, sheets);
    }

    static (SyntheticClip, Clip?) Make(IVideoGenerator generator, ClipJob job, string relative, ClipSpec spec, QualityGate gate,
        int steps, double cfg, Func<ClipJob, Clip> make)
    {
        var entry = new SyntheticClip
        {
            Path = relative, Label = job.Label, Prompt = job.Prompt, Generator = generator.Name,
            CheckpointHash = generator.CheckpointHash, Seed = job.Seed, Steps = steps, Cfg = cfg,
        };
        Clip clip;
        try
        {
            clip = ClipTensors.Resize(make(job), spec);
        }
        catch (VideoReadException e)
        {
            return (entry with { Accepted = false, RejectReason = $"unreadable: {e.Problem}" }, null);
        }
        catch (NonFiniteOutputException e)
        {
            return (entry with { Accepted = false, RejectReason = e.Message }, null);
        }
        var verdict = gate.Evaluate(clip);
        return (entry with { GateScores = verdict.Scores, Accepted = verdict.Accepted, RejectReason = verdict.Reason }, clip);
    }

    static SyntheticClip? Reuse(string mp4, string sidecar, IVideoGenerator generator, ClipJob job, int steps, double cfg)
    {
        if (!File.Exists(sidecar)) return null;
        SyntheticClip entry;
        try { entry = AtomicFile.ReadJson<SyntheticClip>(sidecar); }
        catch (System.Text.Json.JsonException) { return null; }
        bool same = entry.Generator == generator.Name && entry.CheckpointHash == generator.CheckpointHash
                    && entry.Seed == job.Seed && entry.Steps == steps && entry.Cfg == cfg;
        bool complete = File.Exists(mp4) || entry.RejectReason?.StartsWith("unreadable") == true
                        || entry.RejectReason?.StartsWith("non-finite output") == true;
        return same && complete ? entry : null;
    }

    static IEnumerable<Clip> TrainingClips(Dataset dataset, ClipSpec spec, ClipCache cache)
    {
        foreach (var clip in dataset.Split(Splits.Train))
        {
            Clip? decoded;
            try { decoded = cache.Get(clip, spec); }
            catch (VideoReadException) { decoded = null; } // already quarantined by the loader; nothing to compare against
            if (decoded is not null) yield return decoded;
        }
    }

    public static string SafeName(string label) =>
        string.Concat(label.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
