using Augment.Data;
using Augment.Data.Video;
using Augment.Data.Datasets;
using Augment.Experiments.Backends;
using Augment.Experiments.Config;

namespace Augment.Experiments.Sweep;

public enum CellStatus { Finished, Failed }

/// <summary>
/// result.json of one cell, written atomically when the cell ends. Its presence with status finished is what makes a
/// resumed sweep skip the cell. Metric values are copied from the classifier's metrics.json in the same folder.
/// </summary>
public sealed record CellResult
{
    public required string Key { get; init; }
    public required string Dataset { get; init; }
    /// <summary>"real" for the real-only baseline.</summary>
    public required string Generator { get; init; }
    public required double Ratio { get; init; }
    public required long Seed { get; init; }
    public required CellStatus Status { get; init; }
    public string? Error { get; init; }
    /// <summary>Failed because the gate accepted fewer synthetic clips than the ratio asks for.</summary>
    public bool SyntheticShortfall { get; init; }
    public IReadOnlyList<string> Classes { get; init; } = [];
    public IReadOnlyList<string> TargetClasses { get; init; } = [];
    public double Accuracy { get; init; }
    public double MacroPrecision { get; init; }
    public double MacroRecall { get; init; }
    public double MacroF1 { get; init; }
    /// <summary>Validation macro-F1 of the kept (best) checkpoint: what ratios are chosen by, so the test split stays unseen.</summary>
    public double ValMacroF1 { get; init; }
    public IReadOnlyDictionary<string, double> PerClassF1 { get; init; } = new Dictionary<string, double>();
    /// <summary>Test log-loss (per video), and the videos and windows the test metrics were computed on.</summary>
    public double LogLoss { get; init; } = double.NaN;
    public int TestVideos { get; init; }
    public int TestWindows { get; init; }
    /// <summary>Macro-F1 over single windows (secondary; the headline metrics are per video).</summary>
    public double WindowMacroF1 { get; init; } = double.NaN;
    /// <summary>Optimizer steps the classifier took: the same for every cell of a dataset.</summary>
    public long Steps { get; init; }
    /// <summary>Synthetic clips actually mixed in, per class (may fall short of the ratio if the gate rejected many).</summary>
    public IReadOnlyDictionary<string, int> SyntheticUsed { get; init; } = new Dictionary<string, int>();
    /// <summary>Classifier optimizer steps skipped because their loss or gradient was not finite.</summary>
    public int SkippedSteps { get; init; }
    public string? TrackingRunId { get; init; }
    public double Seconds { get; init; }
    public DateTimeOffset FinishedAt { get; init; }

    public const string FileName = "result.json";

    public static CellResult? TryRead(string cellDir)
    {
        var path = Path.Combine(cellDir, FileName);
        return AtomicFile.TryReadJson<CellResult>(path);
    }
}

/// <summary>generation.json: a finished generation run (its presence means "do not generate again").</summary>
public sealed record GenerationRecord
{
    public required string Dataset { get; init; }
    public required string Generator { get; init; }
    public required long Seed { get; init; }
    public required double MaxRatio { get; init; }
    public required IReadOnlyDictionary<string, int> Requested { get; init; }
    /// <summary>Clips written, and clips that could not be made (unreadable import, non-finite output), per class.</summary>
    public required IReadOnlyDictionary<string, int> Made { get; init; }
    public required IReadOnlyDictionary<string, int> Failed { get; init; }
    /// <summary>The clip list (clips.jsonl), relative to the generation folder.</summary>
    public required string Clips { get; init; }
    public double Seconds { get; init; }
    public DateTimeOffset FinishedAt { get; init; }

    public const string FileName = "generation.json";

    public static GenerationRecord? TryRead(string dir)
    {
        var path = Path.Combine(dir, FileName);
        return AtomicFile.TryReadJson<GenerationRecord>(path);
    }
}

/// <summary>gating.json: a generation's clips judged by the quality gate (its presence means "do not gate again").</summary>
public sealed record GatingRecord
{
    public required IReadOnlyDictionary<string, int> Accepted { get; init; }
    public required IReadOnlyDictionary<string, int> Rejected { get; init; }
    /// <summary>Relative to the gating folder.</summary>
    public required string Manifest { get; init; }
    /// <summary>Relative to the gating folder.</summary>
    public required IReadOnlyList<string> ContactSheets { get; init; }
    public double Seconds { get; init; }
    public DateTimeOffset FinishedAt { get; init; }

    public const string FileName = "gating.json";

    public static GatingRecord? TryRead(string dir)
    {
        var path = Path.Combine(dir, FileName);
        return AtomicFile.TryReadJson<GatingRecord>(path);
    }
}

/// <summary>A dataset as the sweep loaded it: clips and videos per split × class, the videos it could not use by kind
/// (quarantine.csv beside sweep.json under datasets/&lt;name&gt;/ lists each), clips held out by `keep`, loader warnings.</summary>
public sealed record DatasetSummary(string Name, IReadOnlyList<string> TargetClasses)
{
    public IReadOnlyList<SplitClassCount> Counts { get; init; } = [];
    public IReadOnlyDictionary<string, int> Unusable { get; init; } = new Dictionary<string, int>();
    public IReadOnlyDictionary<string, int> KeptOut { get; init; } = new Dictionary<string, int>();
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static DatasetSummary From(SweepDataset ds) => new(ds.Entry.Name, ds.TargetClasses)
    {
        Counts = DatasetTables.Counts(ds.Data),
        Unusable = DatasetTables.QuarantineRows(ds.Data).GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Count()),
        KeptOut = ds.Data.KeptOut,
        Warnings = ds.Data.Warnings.Select(w => w.Text).ToList(),
    };
}

/// <summary>A generator of the sweep. Description says what it really is ("native stand-in (0.21M params)"), so
/// nobody reads a tiny local model as the foundation model its label names.</summary>
public sealed record GeneratorSummary(string Name, string Label, string Backend, string Description)
{
    /// <summary>Parameters of a native stand-in (null for other backends).</summary>
    public long? StandInParameters { get; init; }
}

/// <summary>sweep.json: what the sweep was asked to do, so a report can be made from the run folder alone.</summary>
public sealed record SweepSummary
{
    public required string Experiment { get; init; }
    public required string Profile { get; init; }
    public required string SweepKey { get; init; }
    public required string ConfigPath { get; init; }
    public required IReadOnlyList<DatasetSummary> Datasets { get; init; }
    /// <summary>Synthetic generators in config order (the report's row order after the real-only row).</summary>
    public required IReadOnlyList<GeneratorSummary> Generators { get; init; }
    public required string RealOnlyLabel { get; init; }
    public required IReadOnlyList<double> Ratios { get; init; }
    /// <summary>Cells the plan holds: the report warns when fewer have results.</summary>
    public int PlannedCells { get; init; }
    public required IReadOnlyList<long> Seeds { get; init; }
    public double? ReportRatio { get; init; }
    /// <summary>How this machine computed: the oneDNN ISA cap, whether oneDNN was on, the self-check's verdict.</summary>
    public string? Numerics { get; init; }
    /// <summary>The numbers came from a fallback path (self-check failed, or oneDNN off): not comparable with default runs.</summary>
    public bool NumericsFallback { get; init; }
    /// <summary>The build that ran (commit stamped at build time; source hash of the Augment assemblies) and the
    /// experiments file's SHA-256: separate, because either can change without the other.</summary>
    public string CodeCommit { get; init; } = CodeVersion.Unknown;
    public string CodeSources { get; init; } = CodeVersion.Unknown;
    public string? ConfigSha256 { get; init; }
    /// <summary>The classifier every cell trains: its model, the checkpoint it starts from, and how the test split was
    /// scored (validation always uses one view). Null in sweeps recorded before it was kept.</summary>
    public string? Classifier { get; init; }

    public const string FileName = "sweep.json";

    public static SweepSummary From(SweepPlan plan, IReadOnlyDictionary<string, SweepDataset> loaded) => new()
    {
        Experiment = plan.Config.Experiment,
        Profile = plan.Config.Profile,
        SweepKey = plan.SweepKey,
        ConfigPath = plan.Config.SourcePath,
        Datasets = plan.Config.Datasets.Select(d => loaded.TryGetValue(d.Name, out var ds) ? DatasetSummary.From(ds) : new DatasetSummary(d.Name, d.TargetClasses)).ToList(),
        Generators = plan.Config.SyntheticGenerators.Select(g => new GeneratorSummary(g.Name, g.Label, g.Backend.Name,
            g.Backend.Describe(g, plan.Config))
        {
            StandInParameters = g.Backend == GeneratorBackend.Native ? SweepGenerators.BaseParameters(SweepGenerators.BuildConfig(plan.Config).Model) : null,
        }).ToList(),
        PlannedCells = plan.Cells.Count,
        RealOnlyLabel = plan.Config.RealOnlyLabel,
        Ratios = plan.Config.Ratios,
        Seeds = plan.Config.Seeds,
        ReportRatio = plan.Config.ReportRatio,
        CodeCommit = CodeVersion.Commit,
        CodeSources = CodeVersion.Sources,
        ConfigSha256 = File.Exists(plan.Config.SourcePath) ? FileHash.Sha256(plan.Config.SourcePath) : null,
        Classifier = DescribeClassifier(plan.Config.Classifier),
    };

    public static string DescribeClassifier(Augment.Classifier.ClassifierOptions c) =>
        c.Model + (c.Weights is null ? ", trained from scratch" : $", fine-tuned from {Path.GetFileName(c.Weights)}")
        + $"; test split scored on {(c.TestClips * c.TestCrops == 1 ? "1 view" : $"{c.TestClips} clips × {c.TestCrops} crops per window, probabilities averaged")}, validation on 1 view";
}
