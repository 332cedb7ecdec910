namespace Augment.Data.Datasets;

/// <summary>A property of <see cref="DatasetSpec"/> that is bookkeeping, not a key a spec file sets.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class NotASpecKeyAttribute : Attribute;

/// <summary>
/// Where a dataset lives and how to read it. One record serves every adapter; each adapter documents which fields it
/// reads (its card in datasets/&lt;name&gt;/README.md). Every property is a key of dataset.yaml and of a dataset entry of
/// experiments.yaml, under its snake_case name (<see cref="DatasetSpecYaml.Keys"/> is made from this record).
/// </summary>
public sealed record DatasetSpec
{
    /// <summary>Name used in results and reports, e.g. "demo", "hyperkvasir".</summary>
    public required string Name { get; init; }
    /// <summary>medvidcl | hyperkvasir | surgvisdom | folder | manifest.</summary>
    public required string Adapter { get; init; }
    /// <summary>Dataset root folder (annotation files, class folders).</summary>
    public required string Root { get; init; }
    /// <summary>MedVidCL: folder of downloaded &lt;video_id&gt;.&lt;ext&gt; files (defaults to Root/videos).</summary>
    public string? VideoDir { get; init; }
    /// <summary>manifest adapter: CSV or JSONL with path,label[,split]; HyperKvasir: the metadata CSV.</summary>
    public string? Manifest { get; init; }
    /// <summary>HyperKvasir: the finding → class mapping file (defaults to datasets/hyperkvasir/findings.yaml).</summary>
    public string? Mapping { get; init; }
    /// <summary>Class prompt file (defaults to datasets/&lt;Name&gt;/classes.yaml, then Root/classes.yaml).</summary>
    public string? Prompts { get; init; }
    /// <summary>Scarcity simulation: keep only N training clips of a class (seeded).</summary>
    public IReadOnlyDictionary<string, int> Keep { get; init; } = new Dictionary<string, int>();
    /// <summary>Fractions used only when the dataset has no split of its own (seeded, stratified, grouped by video).</summary>
    public double ValFraction { get; init; } = 0.15;
    public double TestFraction { get; init; } = 0.2;
    /// <summary>Long videos are cut into this many clip windows (all in the same split as their video).</summary>
    public int ClipsPerVideo { get; init; } = 1;
    /// <summary>Source frames per clip window when ClipsPerVideo &gt; 1 (0: the video divided into ClipsPerVideo equal parts).</summary>
    public int WindowFrames { get; init; }
    /// <summary>SurgVisDom: domain folder → split ("train+val", "test", "skip").</summary>
    public IReadOnlyDictionary<string, string> DomainSplits { get; init; } = new Dictionary<string, string>();
    public long Seed { get; init; }
    /// <summary>
    /// What a split keeps together. folder (default where class folders hold subfolders): the first subfolder below
    /// the class folder; file: every file on its own; anything else: a regex on the file name whose first capture
    /// (or whole match) names the group. Manifests can give a group column instead.
    /// </summary>
    public string? GroupBy { get; init; }
    /// <summary>HyperKvasir: which label wins when the class folder and the metadata CSV disagree (folder | csv).</summary>
    public string LabelSource { get; init; } = "folder";
    /// <summary>The YAML file the spec came from, and the line of each key (e.g. "keep.polyp"), for error messages.</summary>
    [NotASpecKey] public string? SourceFile { get; init; }
    [NotASpecKey] public IReadOnlyDictionary<string, int> Lines { get; init; } = new Dictionary<string, int>();

    /// <summary>An error about a key's value, naming the spec file and the key's line.</summary>
    public DatasetSpecException Error(string key, string problem) =>
        new(SourceFile ?? $"dataset '{Name}'", Lines.GetValueOrDefault(key), key, problem);

    /// <summary>"file:line" of a key when known, else the dataset name.</summary>
    public string Where(string key) =>
        SourceFile is null ? $"dataset '{Name}'" : Lines.TryGetValue(key, out var line) ? $"{SourceFile}:{line}" : SourceFile;
}
