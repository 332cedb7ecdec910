using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Synthetic.Gate;

namespace Augment.Synthetic;

/// <summary>What the gate let through: the manifest of every clip with its verdict, and one contact sheet per class.</summary>
public sealed record GateResult(string ManifestPath, IReadOnlyDictionary<string, int> Accepted, IReadOnlyDictionary<string, int> Rejected,
    IReadOnlyList<string> ContactSheets);

/// <summary>
/// The quality gate as a stage of its own: it reads the clips a generation wrote (its clips.jsonl), judges each one as
/// the classifier will see it (decoded from its file at the dataset's clip size), and writes manifest.jsonl (every clip
/// with its scores and verdict, in the generation's order), gate.json (the thresholds in force; calibrated ones are
/// computed here from the dataset's real training clips) and one contact-sheet PNG per class. Re-gating with other
/// thresholds reads the same clips again: nothing is generated twice.
/// </summary>
public static class GateRun
{
    public const string ThresholdsFile = "gate.json";
    const int SheetClips = 8;

    public static GateResult Execute(string clipsList, Dataset dataset, ClipSpec spec, ClipCache realClips, GateOptions options,
        string outDir, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        var clips = GeneratedClips.Read(clipsList);
        Directory.CreateDirectory(outDir);
        var gate = new QualityGate(options, TrainingClips(dataset, spec, realClips));
        AtomicFile.WriteJson(Path.Combine(outDir, ThresholdsFile), gate.Thresholds);
        var manifestPath = Path.Combine(outDir, SyntheticManifest.FileName);
        var entries = new List<SyntheticClip>(clips.Count);
        var accepted = new Dictionary<string, int>();
        var rejected = new Dictionary<string, int>();
        var sheets = new Dictionary<string, List<(Clip, bool)>>();
        foreach (var raw in clips)
        {
            cancel.ThrowIfCancellationRequested();
            var file = GeneratedClips.Resolve(clipsList, raw);
            var entry = new SyntheticClip
            {
                Path = Path.GetRelativePath(outDir, file), Label = raw.Label, Prompt = raw.Prompt, Generator = raw.Generator,
                CheckpointHash = raw.CheckpointHash, Seed = raw.Seed, Steps = raw.Steps, Cfg = raw.Cfg,
            };
            Clip? clip = null;
            if (raw.Failure is { } failure) entry = entry with { Accepted = false, RejectReason = failure };
            else
            {
                try
                {
                    clip = VideoIO.Read(file, spec);
                    var verdict = gate.Evaluate(clip);
                    entry = entry with { GateScores = verdict.Scores, Accepted = verdict.Accepted, RejectReason = verdict.Reason };
                }
                catch (VideoReadException e) { entry = entry with { Accepted = false, RejectReason = $"unreadable: {e.Problem}" }; }
            }
            entries.Add(entry);
            var counts = entry.Accepted ? accepted : rejected;
            counts[raw.Label] = counts.GetValueOrDefault(raw.Label) + 1;
            var sheet = sheets.TryGetValue(raw.Label, out var s) ? s : sheets[raw.Label] = [];
            if (clip is not null && sheet.Count < SheetClips) sheet.Add((clip, entry.Accepted));
            progress?.Report(entries.Count / (double)Math.Max(1, clips.Count));
        }
        SyntheticManifest.Write(manifestPath, entries);
        var written = new List<string>();
        foreach (var (label, sheet) in sheets.Where(s => s.Value.Count > 0))
        {
            var path = Path.Combine(outDir, $"contact_{GeneratedClips.SafeName(label)}.png");
            var generator = clips.First(c => c.Label == label).Generator;
            ContactSheet.Write(path, $"{generator} / {label}: {accepted.GetValueOrDefault(label)} accepted, {rejected.GetValueOrDefault(label)} rejected", sheet);
            written.Add(path);
        }
        return new GateResult(manifestPath, accepted, rejected, written);
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
}
