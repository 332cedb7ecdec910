using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Generator.Backends;

namespace Augment.Experiments.Backends;

/// <summary><c>backend: import</c>: clips made by another program, listed in a manifest CSV.</summary>
public sealed class ImportBackend : GeneratorBackend
{
    public override string Name => "import";
    public override IReadOnlyList<string> Keys => ["manifest"];

    internal override GeneratorEntry Read(GeneratorSource s) =>
        new(s.Name, s.Label, this, Manifest: s.Required("manifest", "the CSV listing the imported clips (path,label[,prompt,seed])"));

    public override string Describe(GeneratorEntry entry, ExperimentConfig config) => $"imported clips ({Path.GetFileName(entry.Manifest)})";

    public override IReadOnlyList<KeyValuePair<string, string>>? GenerationInputs(GeneratorEntry entry, string dataset, SweepStages stages) =>
        [new("manifest", SweepStages.ShortFileHash(entry.Manifest!))];

    public override IVideoGenerator Open(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel) =>
        new ImportGenerator(entry.Name, entry.Manifest!);
}
