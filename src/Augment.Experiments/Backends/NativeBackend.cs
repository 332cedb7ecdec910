using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Generator.Backends;

namespace Augment.Experiments.Backends;

/// <summary>
/// <c>backend: native</c>: the project's latent diffusion engine, the base pretrained once per sweep (the HunyuanVideo
/// stand-in), alone or with a LoRA adapter trained on each dataset's training split (<c>adapt: true</c>) or on captioned
/// corpora (<c>adapt_on</c>, one adapter for every dataset): MedGen's recipe at a small local scale.
/// </summary>
public sealed class NativeBackend : GeneratorBackend
{
    public override string Name => "native";
    public override IReadOnlyList<string> Keys => ["adapt", "adapt_on"];

    internal override GeneratorEntry Read(GeneratorSource s)
    {
        var entry = new GeneratorEntry(s.Name, s.Label, this, Adapt: s.F.Bool(s.Node, s.Path, "adapt") ?? false) { AdaptOn = s.F.Strings(s.Node, s.Path, "adapt_on") };
        if (entry.AdaptOn.Count > 0)
        {
            var node = YamlFields.Get(s.Node, "adapt_on")!;
            foreach (var corpus in entry.AdaptOn.Where(n => s.Corpora.All(c => c.Name != n)))
                s.F.Error(node, $"{s.Path}.adapt_on", $"'{corpus}' is not a corpus of this file (corpora: {(s.Corpora.Count == 0 ? "none" : string.Join(", ", s.Corpora.Select(c => c.Name)))})");
            if (entry.Adapt) s.F.Error(node, $"{s.Path}.adapt_on", "adapt: true (the dataset's training split) and adapt_on (corpora) are two generators; list them as two");
        }
        return entry;
    }

    /// <summary>A small local model standing in for the one its label names, and says so.</summary>
    public override string Describe(GeneratorEntry entry, ExperimentConfig config) =>
        $"native latent stand-in{(entry.AdaptOn.Count > 0 ? $" + LoRA on corpus {SweepStages.CorpusKey(entry.AdaptOn)}" : entry.Adapt ? " + LoRA on the training split" : "")} " +
        $"({SweepGenerators.Millions(SweepGenerators.BaseParameters(SweepGenerators.BuildConfig(config).Model))} params)";

    public override string Summary(GeneratorEntry entry) => entry.AdaptOn.Count > 0 ? "native + corpus LoRA" : entry.Adapt ? "native + LoRA" : "native (base)";

    public override StageDecision? Parent(GeneratorEntry entry, string dataset, SweepStages stages) =>
        entry.AdaptOn.Count > 0 ? stages.CorpusAdapter(entry.AdaptOn) : entry.Adapt ? stages.Adapter(dataset) : stages.Base();

    public override void EnsureParents(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel)
    {
        if (entry.AdaptOn.Count > 0) generators.EnsureCorpusAdapter(entry.AdaptOn, report, cancel);
        else if (entry.Adapt) generators.EnsureAdapter(dataset, report, cancel);
        else generators.EnsureBase(report, cancel);
    }

    /// <summary>The checkpoints it samples from, by content.</summary>
    public override IReadOnlyList<KeyValuePair<string, string>>? GenerationInputs(GeneratorEntry entry, string dataset, SweepStages stages)
    {
        if (SweepStages.Record(stages.BaseDir, SweepStages.BaseMarker) is not { } b) return null;
        if (!entry.Adapt && entry.AdaptOn.Count == 0) return [new("base_checkpoint", b.CheckpointSha256)];
        var dir = entry.AdaptOn.Count > 0 ? stages.CorpusAdapterDir(entry.AdaptOn) : stages.AdapterDir(dataset);
        if (SweepStages.Record(dir, SweepStages.AdapterMarker) is not { } a) return null;
        return [new("base_checkpoint", b.CheckpointSha256), new("adapter_checkpoint", a.CheckpointSha256)];
    }

    public override IVideoGenerator Open(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel) =>
        new NativeGenerator(entry.Name, generators.EnsureBase(report, cancel),
            entry.AdaptOn.Count > 0 ? generators.EnsureCorpusAdapter(entry.AdaptOn, report, cancel) : entry.Adapt ? generators.EnsureAdapter(dataset, report, cancel) : null,
            generators.EngineConfig);
}
