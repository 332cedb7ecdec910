using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Generator.Backends;

namespace Augment.Experiments.Backends;

/// <summary><c>backend: holdout</c>: the upper bound, whose "synthetic" clips are the real training clips `keep` held out.</summary>
public sealed class HoldoutBackend : GeneratorBackend
{
    public override string Name => "holdout";
    public override IReadOnlyList<string> Keys => [];

    internal override GeneratorEntry Read(GeneratorSource s) => new(s.Name, s.Label, this);

    public override bool NeedsHeldOutClips => true;

    // Its clips are real training clips the reference classifier trained on: nothing to measure.
    public override bool MeasuresQuality => false;

    public override string Describe(GeneratorEntry entry, ExperimentConfig config) => "upper bound: real training clips held out by keep";

    // The full training split the held-out clips come from (the kept one is the generation's "data").
    public override IReadOnlyList<KeyValuePair<string, string>>? GenerationInputs(GeneratorEntry entry, string dataset, SweepStages stages) =>
        [new("holdout", stages.ReferenceDataHash(dataset))];

    public override IVideoGenerator Open(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel) =>
        new HoldoutGenerator(entry.Name, generators.Dataset(dataset).HeldOut(), generators.Cache);
}
