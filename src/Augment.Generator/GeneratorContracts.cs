using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;

namespace Augment.Generator;

/// <summary>What to generate: how many clips of which classes, at which size, from which seed.</summary>
public sealed record GenerationRequest(Dataset Dataset, ClipSpec Spec, IReadOnlyDictionary<string, int> PerClass, long Seed, string OutDir);

/// <summary>Where the clips went; the manifest lists every clip with its gate verdict.</summary>
public sealed record GenerationResult(string ManifestPath, IReadOnlyDictionary<string, int> Accepted, IReadOnlyDictionary<string, int> Rejected, IReadOnlyList<string> ContactSheets);

/// <summary>One synthetic-video source (native model, imported clips, ONNX denoiser) behind one call.</summary>
public interface IVideoGenerator
{
    string Name { get; }
    /// <summary>Hash identifying the weights or clips used, recorded in the manifest.</summary>
    string CheckpointHash { get; }
    /// <summary>Writes clips, manifest.jsonl and contact sheets under request.OutDir; every clip has passed the quality gate or is marked rejected.</summary>
    GenerationResult Generate(GenerationRequest request, ClipCache realClips, IProgress<double>? progress = null, CancellationToken cancel = default);
}
