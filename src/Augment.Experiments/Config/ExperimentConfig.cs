using Augment.Synthetic.Gate;
using Augment.Classifier;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Experiments.Backends;
using Augment.Generator;
using YamlDotNet.RepresentationModel;

namespace Augment.Experiments.Config;

/// <summary>
/// experiments.yaml after validation: which datasets, generators, ratios and seeds a sweep crosses, and at what scale.
/// Relative paths are already resolved against the file's folder.
/// </summary>
public sealed record ExperimentConfig
{
    public required string SourcePath { get; init; }
    /// <summary>MLflow experiment name that groups the sweep's runs.</summary>
    public required string Experiment { get; init; }
    /// <summary>The profile the sweep's scale came from (tiny, small, full or a file's name): what the report names.</summary>
    public required string Profile { get; init; }
    public required string OutputDir { get; init; }
    /// <summary>Null: MLFLOW_TRACKING_URI if set, else &lt;output_dir&gt;/mlruns.</summary>
    public string? TrackingUri { get; init; }
    public required ClipSpec Clip { get; init; }
    public required IReadOnlyList<long> Seeds { get; init; }
    /// <summary>Ascending; 0 is the real-only baseline.</summary>
    public required IReadOnlyList<double> Ratios { get; init; }
    /// <summary>Null: each generator's row uses the ratio with its best mean validation macro-F1.</summary>
    public double? ReportRatio { get; init; }
    public required IReadOnlyList<DatasetEntry> Datasets { get; init; }
    /// <summary>In config order; this is the report's row order.</summary>
    public required IReadOnlyList<GeneratorEntry> Generators { get; init; }
    /// <summary>Captioned corpora native generators can adapt on (adapt_on), by name.</summary>
    public IReadOnlyList<CorpusEntry> Corpora { get; init; } = [];
    public required ClassifierOptions Classifier { get; init; }
    public required GeneratorSettings Generator { get; init; }
    /// <summary>local (this process runs the grid) or slurm (`augment sweep` submits it as jobs).</summary>
    public Executor Executor { get; init; } = Executor.Local;
    public Augment.Experiments.Cluster.SlurmSettings Slurm { get; init; } = new();

    public IEnumerable<GeneratorEntry> SyntheticGenerators => Generators.Where(g => g.Backend != GeneratorBackend.None);

    /// <summary>Row label of the real-only baseline: the `none` generator's label if one is listed.</summary>
    public string RealOnlyLabel => Generators.FirstOrDefault(g => g.Backend == GeneratorBackend.None)?.Label ?? "Real only";
}

public enum Executor { Local, Slurm }

/// <summary>
/// One dataset of the sweep. <see cref="Node"/> holds the dataset keys (same as dataset.yaml) for the data library to
/// turn into a spec; <c>adapter: demo</c> means "render the embedded demo (sized by <see cref="Demo"/>) into root if
/// it is not there yet".
/// </summary>
public sealed record DatasetEntry(string Name, bool IsDemo, string Root, YamlMappingNode Node, string BaseDir,
    IReadOnlyList<string> TargetClasses, DemoOptions? Demo, long Seed)
{
    /// <summary>Whether `keep` trims any class (the demo's scarce classes, or a keep map): only then does the
    /// held-out upper bound exist.</summary>
    public bool UsesKeep => Demo is { } d ? d.ScarceClasses > 0 && d.ScarceTrainPerClass < d.TrainPerClass
        : Node.Children.TryGetValue(new YamlScalarNode("keep"), out var keep) && keep is YamlMappingNode { Children.Count: > 0 };

    /// <summary>The spec of a non-demo dataset, parsed by the data library exactly as a dataset.yaml would be.</summary>
    public DatasetSpec ToSpec(string sourcePath)
    {
        var node = new YamlMappingNode(Node.Children) { { "name", Name } };
        return DatasetSpecYaml.FromNode(node, BaseDir, sourcePath);
    }
}

/// <summary>
/// A synthetic-clip source, read by its backend (<see cref="GeneratorBackend.All"/>: none, native, import, onnx,
/// holdout, wan), which also says what the fields below mean for it; each backend uses only its own.
/// </summary>
public sealed record GeneratorEntry(string Name, string Label, GeneratorBackend Backend, bool Adapt = false,
    string? Manifest = null, string? Model = null, Augment.Generator.Backends.WanOptions? Wan = null)
{
    /// <summary>Native only: the corpora its one LoRA adapter is trained on (trained once, used for every dataset);
    /// empty: the base alone, or (Adapt) one adapter per dataset on its training split.</summary>
    public IReadOnlyList<string> AdaptOn { get; init; } = [];
}

/// <summary>
/// A captioned corpus (clips with free-text captions). Demo: rendered by the project into Root (own seed, Clips clips);
/// otherwise read from CaptionsFile (CSV path,caption or JSON lines / array with the given field names).
/// </summary>
public sealed record CorpusEntry(string Name, bool IsDemo, string CaptionsFile, string PathField, string CaptionField, int Clips, long Seed)
{
    /// <summary>The folder a demo corpus is rendered into.</summary>
    public string Root => Path.GetDirectoryName(CaptionsFile)!;
}

/// <summary>
/// Shared settings of the generators. Pool: what the native base is pretrained on, "general" (the demo's non-medical
/// video pool, standing in for HunyuanVideo's general prior) and/or dataset names. Engine: the native engine's model,
/// training stages, LoRA and sampler (the profile's, with this file's overrides). Oversample: clips generated per clip
/// needed, so the quality gate's rejects do not starve the largest ratio. Gate: the quality gate's thresholds (every
/// backend's clips pass it).
/// </summary>
public sealed record GeneratorSettings(IReadOnlyList<string> PretrainPool, GeneratorConfig Engine, double Oversample, GateOptions Gate)
{

    /// <summary>auto | cpu | cuda, for pretraining, adaptation and sampling (auto: CUDA when the build has it and a GPU is visible).</summary>
    public string Device { get; init; } = "auto";
}
