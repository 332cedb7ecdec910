namespace Augment.Data.Datasets;

/// <summary>A loaded dataset: classes in a fixed order, clips with their split, and everything that was set aside.</summary>
public sealed class Dataset
{
    public required string Name { get; init; }
    /// <summary>Class names; a class's index is its label id everywhere (classifier outputs, confusion matrices).</summary>
    public required IReadOnlyList<string> Classes { get; init; }
    public required IReadOnlyList<ClipRef> Clips { get; init; }
    /// <summary>Class → prompt text that describes it (for the generator's text conditioning).</summary>
    public required IReadOnlyDictionary<string, string> Prompts { get; init; }
    public IReadOnlyList<QuarantineEntry> Quarantined { get; init; } = [];
    /// <summary>Entries whose video file is absent (e.g. MedVidCL ids not downloaded).</summary>
    public IReadOnlyList<string> Missing { get; init; } = [];
    /// <summary>Labels/findings that map to no class, with counts.</summary>
    public IReadOnlyDictionary<string, int> Unmapped { get; init; } = new Dictionary<string, int>();
    /// <summary>What probing found for each usable video file (path → frames, fps, size).</summary>
    public IReadOnlyDictionary<string, Augment.Data.Video.VideoInfo> VideoInfos { get; init; } = new Dictionary<string, Augment.Data.Video.VideoInfo>();
    /// <summary>Training clips per class removed by the scarcity setting (spec.Keep).</summary>
    public IReadOnlyDictionary<string, int> KeptOut { get; init; } = new Dictionary<string, int>();
    /// <summary>What a reader must know before trusting a run on this dataset (empty splits, label disagreements, …).</summary>
    public IReadOnlyList<DatasetWarning> Warnings { get; init; } = [];
    /// <summary>Hidden and tool files and folders that were not read (.ipynb_checkpoints, __MACOSX, .DS_Store, …).</summary>
    public IReadOnlyList<string> Junk { get; init; } = [];

    public IEnumerable<ClipRef> Split(string split) => Clips.Where(c => c.Split == split);

    public int ClassIndex(string label)
    {
        for (int i = 0; i < Classes.Count; i++) if (Classes[i] == label) return i;
        throw new KeyNotFoundException($"dataset '{Name}' has no class '{label}' (classes: {string.Join(", ", Classes)})");
    }
}

/// <summary>A warning about a dataset; <see cref="Fatal"/>: a sweep on it would be meaningless (validate exits 1).</summary>
public sealed record DatasetWarning(string Text, bool Fatal);

public static class Splits
{
    public const string Train = "train", Val = "val", Test = "test";
}
