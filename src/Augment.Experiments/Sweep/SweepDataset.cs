using Augment.Data;
using Augment.Data.Datasets;
using Augment.Experiments.Config;

namespace Augment.Experiments.Sweep;

/// <summary>A dataset of the sweep, loaded once: its spec, clips and the classes that receive synthetic clips.</summary>
public sealed record SweepDataset(DatasetEntry Entry, DatasetSpec Spec, Dataset Data, IReadOnlyList<string> TargetClasses)
{
    // Loaded on first need (it probes the videos again): only generation-quality measurement uses it.
    readonly Lazy<Dataset> referenceData = new(() => Spec.Keep.Count == 0 ? Data
        : DatasetLoader.Load(Spec with { Name = Entry.Name, Keep = new Dictionary<string, int>() }));

    /// <summary>
    /// The dataset before `keep` trims it: the same splits (scarcity only removes training clips) with the full training
    /// split, which the reference classifier trains on so that it knows the scarce classes as well as real data allows.
    /// </summary>
    public Dataset ReferenceData => referenceData.Value;

    /// <summary>
    /// The upper bound's clips: training clips of the targeted classes that `keep` removed (in the full training split,
    /// not in the kept one). Splits are assigned before `keep` trims, so these are training clips of both loads; a clip
    /// whose video (split unit) the kept dataset places in validation or test is left out all the same, so the control
    /// can never see an evaluation clip. Empty when nothing is kept.
    /// </summary>
    public IReadOnlyList<ClipRef> HeldOut()
    {
        if (Spec.Keep.Count == 0) return [];
        var kept = Data.Split(Splits.Train).ToHashSet();
        var evaluation = Data.Clips.Where(c => c.Split != Splits.Train).Select(c => c.SplitUnit).ToHashSet();
        return ReferenceData.Split(Splits.Train)
            .Where(c => TargetClasses.Contains(c.Label) && !kept.Contains(c) && !evaluation.Contains(c.SplitUnit))
            .ToList();
    }

    public static SweepDataset Load(DatasetEntry entry, string sourcePath, IProgress<(int done, int total)>? renderProgress = null)
    {
        var spec = entry.IsDemo ? DemoSpec(entry, renderProgress) : entry.ToSpec(sourcePath);
        var data = DatasetLoader.Load(spec with { Name = entry.Name });
        if (data.Split(Splits.Train).Count() == 0) throw new InvalidDataException($"dataset {entry.Name}: no training clips under {spec.Root}");

        foreach (var c in entry.TargetClasses.Where(c => !data.Classes.Contains(c)))
            throw new InvalidDataException($"dataset {entry.Name}: target class '{c}' is not one of its classes ({string.Join(", ", data.Classes)})");
        // Default targets: the scarce classes the spec trims with `keep`, else every class.
        var targets = entry.TargetClasses.Count > 0 ? entry.TargetClasses
            : spec.Keep.Count > 0 ? data.Classes.Where(spec.Keep.ContainsKey).ToList()
            : data.Classes;
        return new SweepDataset(entry, spec, data, targets);
    }

    // "adapter: demo" renders the embedded demo once; dataset.yaml is written last, so its presence means a full render.
    static DatasetSpec DemoSpec(DatasetEntry entry, IProgress<(int done, int total)>? progress)
    {
        var specFile = Path.Combine(entry.Root, "dataset.yaml");
        return File.Exists(specFile) ? DatasetSpecYaml.Load(specFile) : DemoDataset.Render(entry.Root, entry.Seed, entry.Demo, progress);
    }

    /// <summary>Demo clips rendered at the sweep's clip size, so decoding does no resizing work.</summary>
    public static DemoOptions DemoSized(ClipSpec clip, DemoOptions options) =>
        options with { Frames = clip.Frames, Size = Math.Max(clip.Height, clip.Width) };
}
