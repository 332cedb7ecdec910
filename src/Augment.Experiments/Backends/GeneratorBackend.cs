using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Generator.Backends;
using YamlDotNet.RepresentationModel;

namespace Augment.Experiments.Backends;

/// <summary>
/// A generator backend of experiments.yaml (<c>backend:</c>): the keys it reads and checks, how the report names what
/// it runs, the stages its generation builds on, what the generation's fingerprint holds for it, and how it opens as an
/// <see cref="IVideoGenerator"/>. The registry (<see cref="All"/>) maps each name to its backend: adding one is its own
/// file plus one entry there.
/// </summary>
public abstract class GeneratorBackend
{
    /// <summary>The real-only baseline; the native engine, whose base and adapters are stages shared by every native
    /// generator; the upper bound.</summary>
    public static readonly GeneratorBackend None = new RealOnlyBackend(), Native = new NativeBackend(), Holdout = new HoldoutBackend();

    /// <summary>The registry, in the order error messages list the names.</summary>
    public static IReadOnlyList<GeneratorBackend> All { get; } = [None, Native, new ImportBackend(), new OnnxBackend(), Holdout, new WanBackend()];

    /// <summary>The backend of a name (any case), or null.</summary>
    public static GeneratorBackend? Find(string name) => All.FirstOrDefault(b => b.Name.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every key some backend reads: a generator entry may hold these (each only under its own backend).</summary>
    public static IReadOnlyList<string> AllKeys { get; } = All.SelectMany(b => b.Keys).Distinct().ToList();

    /// <summary>Its name in experiments.yaml, the sweep summary and the generation's fingerprint.</summary>
    public abstract string Name { get; }

    /// <summary>The entry keys it reads besides backend and label.</summary>
    public abstract IReadOnlyList<string> Keys { get; }

    /// <summary>Reads and checks its keys; problems go to <see cref="GeneratorSource.F"/> with their line.</summary>
    internal abstract GeneratorEntry Read(GeneratorSource source);

    /// <summary>What the generator really is, for the report.</summary>
    public abstract string Describe(GeneratorEntry entry, ExperimentConfig config);

    /// <summary>The backend column of `augment sweep`'s plan table.</summary>
    public virtual string Summary(GeneratorEntry entry) => Name;

    /// <summary>Whether the native engine's sampler settings shape its clips (and so enter its generation's fingerprint).</summary>
    public virtual bool UsesEngineSampler => true;

    /// <summary>Whether it has clips only for a dataset whose `keep` holds real clips out (the upper bound).</summary>
    public virtual bool NeedsHeldOutClips => false;

    /// <summary>Whether its clips are measured for generation quality against the reference classifier (not when they
    /// are real clips it trained on).</summary>
    public virtual bool MeasuresQuality => true;

    /// <summary>Stages of its own that its generation for the dataset builds on (besides the native engine's shared
    /// ones), so previews, status and `--force` see them.</summary>
    public virtual IEnumerable<BackendStage> OwnStages(GeneratorEntry entry, string dataset, ExperimentConfig config) => [];

    /// <summary>The stage its generation for the dataset samples from (null: none); a parent that reruns reruns it.</summary>
    public virtual StageDecision? Parent(GeneratorEntry entry, string dataset, SweepStages stages) => null;

    /// <summary>Runs (or reuses) the parent stages, so the generation's fingerprint can name what they produced.</summary>
    public virtual void EnsureParents(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel) { }

    /// <summary>Its part of the generation's fingerprint: the content of what the clips are made from; null while a
    /// parent's output does not exist yet.</summary>
    public virtual IReadOnlyList<KeyValuePair<string, string>>? GenerationInputs(GeneratorEntry entry, string dataset, SweepStages stages) => [];

    /// <summary>The generator that makes the dataset's clips (its parents already ensured).</summary>
    public virtual IVideoGenerator Open(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel) =>
        throw new InvalidOperationException($"generator {entry.Name} has no backend that generates clips");

    public override string ToString() => Name;
}

/// <summary>A stage a backend adds to the plan: its name, kind, dataset and folder, and its decision.</summary>
public sealed record BackendStage(string Name, StageKind Kind, string Dataset, string Dir, Func<SweepStages, StageDecision> Decide);

/// <summary>One generator entry of experiments.yaml as its backend reads it (relative paths from the file's folder).</summary>
internal sealed record GeneratorSource(YamlFields F, YamlMappingNode Node, string Path, string Name, string Label, string BaseDir,
    IReadOnlyList<CorpusEntry> Corpora, string Device)
{
    /// <summary>A path key resolved against the file's folder, or null when absent.</summary>
    public string? PathOf(string key) => F.String(Node, Path, key) is { } v ? System.IO.Path.GetFullPath(System.IO.Path.Combine(BaseDir, v)) : null;

    /// <summary>A path key that must be given: its absence is an error saying what it names.</summary>
    public string? Required(string key, string what)
    {
        var value = PathOf(key);
        if (value is null) F.Error(Node, $"{Path}.{key}", $"missing: {what}");
        return value;
    }
}
