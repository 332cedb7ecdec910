using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Generator.Backends;

namespace Augment.Experiments.Backends;

/// <summary><c>backend: onnx</c>: an exported denoiser sampled with the native engine's sampler.</summary>
public sealed class OnnxBackend : GeneratorBackend
{
    public override string Name => "onnx";
    public override IReadOnlyList<string> Keys => ["model"];

    internal override GeneratorEntry Read(GeneratorSource s) => new(s.Name, s.Label, this, Model: s.Required("model", "the exported denoiser (.onnx)"));

    public override string Describe(GeneratorEntry entry, ExperimentConfig config) => $"ONNX model ({Path.GetFileName(entry.Model)})";

    public override IReadOnlyList<KeyValuePair<string, string>>? GenerationInputs(GeneratorEntry entry, string dataset, SweepStages stages) =>
        [new("onnx_model", SweepStages.ShortFileHash(entry.Model!))];

    public override IVideoGenerator Open(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel) =>
        new OnnxGenerator(entry.Name, entry.Model!, generators.EngineConfig);
}
