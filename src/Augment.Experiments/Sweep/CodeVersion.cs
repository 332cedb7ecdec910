using System.Reflection;
using Augment.Classifier;
using Augment.Generator;

namespace Augment.Experiments.Sweep;

/// <summary>
/// The code that ran, as stamped at build time: the commit the SDK writes into the informational version, and a hash
/// of the sources of each Augment assembly (build/SourceHash.targets). Stage fingerprints use the source hashes of the
/// libraries that compute them (data + generator, data + classifier), so an edit to that code reruns what it computed,
/// while a commit that only touches docs, tests or the report does not.
/// </summary>
public static class CodeVersion
{
    public const string Unknown = "unknown";

    static readonly Assembly Data = typeof(Augment.Data.Clip).Assembly, Classifier = typeof(ClassifierTrainer).Assembly,
        Generator = typeof(GeneratorConfig).Assembly, Experiments = typeof(CodeVersion).Assembly;

    /// <summary>The commit the build was made from, or "unknown" (built outside a git checkout).</summary>
    public static string Commit { get; } =
        typeof(CodeVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+') is [_, var sha]
            ? sha : Unknown;

    /// <summary>12 hex digits over the sources of every Augment assembly: the version a person quotes.</summary>
    public static string Sources { get; } = Hash(Data, Classifier, Generator, Experiments);

    /// <summary>The code behind generator stages (pretraining, adaptation, generation, the quality gate).</summary>
    public static string GeneratorSources { get; } = Hash(Data, Generator);

    /// <summary>The code behind a classifier cell (data loading, mixing, training, evaluation).</summary>
    public static string ClassifierSources { get; } = Hash(Data, Classifier);

    // An assembly built without the stamp (not by this repository's build) counts as new code each build.
    static string Hash(params Assembly[] assemblies) => SweepPlanner.ShortHash(string.Join(",", assemblies.Select(a =>
        a.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(m => m.Key == "AugmentSourceHash")?.Value ?? a.ManifestModule.ModuleVersionId.ToString())));
}
