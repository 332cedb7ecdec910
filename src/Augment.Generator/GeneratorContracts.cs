using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;

namespace Augment.Generator;

/// <summary>What to generate: how many clips of which classes, at which size, from which seed.</summary>
public sealed record GenerationRequest(Dataset Dataset, ClipSpec Spec, IReadOnlyDictionary<string, int> PerClass, long Seed, string OutDir);

/// <summary>Where the clips went: clips.jsonl lists every clip made, and every one that could not be (with why).</summary>
public sealed record GenerationResult(string ClipsPath, IReadOnlyDictionary<string, int> Made, IReadOnlyDictionary<string, int> Failed);

/// <summary>One synthetic-video source (native model, imported clips, ONNX denoiser) behind one call.</summary>
public interface IVideoGenerator
{
    string Name { get; }
    /// <summary>Hash identifying the weights or clips used, recorded in the manifest.</summary>
    string CheckpointHash { get; }
    /// <summary>Writes clips and clips.jsonl under request.OutDir; the quality gate judges them afterwards, as its own stage.</summary>
    GenerationResult Generate(GenerationRequest request, IProgress<double>? progress = null, CancellationToken cancel = default);
}
