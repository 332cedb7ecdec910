using System.Reflection;
using Augment.Classifier;
using Augment.Evaluation.Quality;
using Augment.Generator;
using Augment.Synthetic;

namespace Augment.Experiments.Sweep;

/// <summary>
/// The code that ran, as stamped at build time: the commit the SDK writes into the informational version, and a hash
/// of the sources of each Augment assembly (build/SourceHash.targets). A stage's fingerprint holds the source hashes of
/// exactly the assemblies whose code computes it, so an edit reruns what that code computed and nothing else: the
/// assemblies are the pipeline's stages, and their boundaries are the cache's. Editing the report, the CLI, the
/// benchmarks (both in the CLI) or a generation-quality measure reruns no generator stage and no classifier cell.
/// </summary>
public static class CodeVersion
{
    public const string Unknown = "unknown";

    static readonly Assembly Data = typeof(Augment.Data.Clip).Assembly, Generator = typeof(GeneratorConfig).Assembly,
        Synthetic = typeof(SyntheticMixer).Assembly, Classifier = typeof(ClassifierTrainer).Assembly,
        Evaluation = typeof(QualityMeter).Assembly, Experiments = typeof(CodeVersion).Assembly;

    /// <summary>The commit the build was made from, or "unknown" (built outside a git checkout).</summary>
    public static string Commit { get; } =
        typeof(CodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+') is [_, var sha]
            ? sha : Unknown;

    /// <summary>12 hex digits over the sources of every assembly that computes a sweep's results: the version a person quotes.</summary>
    public static string Sources { get; } = Hash([Data, Generator, Synthetic, Classifier, Evaluation, Experiments]);

    /// <summary>The assemblies whose code computes a stage of this kind.</summary>
    public static IReadOnlyList<Assembly> AssembliesOf(StageKind kind) => kind switch
    {
        StageKind.Base or StageKind.Adapter or StageKind.Generation => [Data, Generator],
        StageKind.Gating => [Data, Synthetic],
        StageKind.Cell or StageKind.Reference => [Data, Synthetic, Classifier],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Generation-quality measurement: the reference classifier's features and the measures on them.</summary>
    public static IReadOnlyList<Assembly> QualityAssemblies { get; } = [Data, Synthetic, Classifier, Evaluation];

    static readonly Dictionary<StageKind, string> ByKind = Enum.GetValues<StageKind>().ToDictionary(k => k, k => Hash(AssembliesOf(k)));

    /// <summary>The code input of a stage kind's fingerprint.</summary>
    public static string Of(StageKind kind) => ByKind[kind];

    public static string QualitySources { get; } = Hash(QualityAssemblies);

    /// <summary>12 hex digits over the given assemblies' source hashes (<paramref name="sourceHash"/>: the stamp by default).</summary>
    public static string Hash(IEnumerable<Assembly> assemblies, Func<Assembly, string>? sourceHash = null) =>
        SweepPlanner.ShortHash(string.Join(",", assemblies.Select(sourceHash ?? Stamp)));

    // An assembly built without the stamp (not by this repository's build) counts as new code each build.
    public static string Stamp(Assembly a) =>
        a.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(m => m.Key == "AugmentSourceHash")?.Value ?? a.ManifestModule.ModuleVersionId.ToString();
}
