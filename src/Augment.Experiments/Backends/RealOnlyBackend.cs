using Augment.Experiments.Config;

namespace Augment.Experiments.Backends;

/// <summary><c>backend: none</c>: the real-only baseline's row (its label; it makes no clips).</summary>
public sealed class RealOnlyBackend : GeneratorBackend
{
    public override string Name => "none";
    public override IReadOnlyList<string> Keys => [];
    internal override GeneratorEntry Read(GeneratorSource s) => new(s.Name, s.Label == s.Name ? "Real only" : s.Label, this);
    public override string Describe(GeneratorEntry entry, ExperimentConfig config) => "none";
}
