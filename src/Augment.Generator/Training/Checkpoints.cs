using Augment.Generator.Models.Native;
using static TorchSharp.torch;

namespace Augment.Generator.Training;

/// <summary>
/// Header of a base checkpoint: the engine's shape, how far the transformer's training got, and the autoencoder's mean
/// absolute reconstruction error on the pool (grey levels, 0–255).
/// </summary>
public sealed record BaseHeader(string Kind, NativeModelConfig Model, int Step, int TotalSteps, long Seed, IReadOnlyList<string> Datasets,
    double Loss = double.NaN, int SkippedSteps = 0, double AutoencoderReconstruction = double.NaN);

/// <summary>Header of the autoencoder's own training checkpoint (next to the base; see <see cref="GeneratorTraining.AutoencoderPath"/>).</summary>
public sealed record AutoencoderHeader(string Kind, NativeModelConfig Model, int Step, int TotalSteps, long Seed, double Loss = double.NaN,
    int SkippedSteps = 0, double Reconstruction = double.NaN);

/// <summary>Header of a LoRA adapter: its settings and the base it was trained on.</summary>
public sealed record AdapterHeader(string Kind, int Rank, double Alpha, IReadOnlyList<string> Targets, string BaseHash,
    int Step, int TotalSteps, long Seed, string Dataset, double Loss = double.NaN, int SkippedSteps = 0);

/// <summary>A loaded base: the latent transformer, the autoencoder it works in, and the header.</summary>
public sealed record BaseModel(VideoDiT Denoiser, VideoAutoencoder Autoencoder, BaseHeader Header);

/// <summary>
/// Base checkpoints hold the transformer's model/, ema/ and adam_m|adam_v/ tensors and the finished autoencoder under
/// autoencoder/ (weights and latent statistics), so one file is everything sampling needs. Adapters hold the same
/// groups for the LoRA parameters only. Sampling loads the ema/ weights.
/// </summary>
public static class Checkpoints
{
    public const string BaseKind = "augment-latent-video-dit", AdapterKind = "augment-lora", AutoencoderKind = "augment-video-autoencoder";
    public const string AutoencoderPrefix = "autoencoder/";

    public static BaseModel LoadBase(string path, bool ema = true)
    {
        var (header, tensors) = TensorArchive.Read<BaseHeader>(path);
        if (header.Kind != BaseKind)
            throw new InvalidDataException($"{path}: a '{header.Kind}' file, not a base checkpoint of this version ({BaseKind}); retrain it");
        var model = new VideoDiT(header.Model);
        CopyInto(model.named_parameters().Select(p => (p.name, p.parameter)), tensors, ema ? "ema/" : "model/", path);
        var autoencoder = new VideoAutoencoder(header.Model);
        CopyInto(autoencoder.State(), tensors, AutoencoderPrefix, path);
        autoencoder.eval();
        return new BaseModel(model, autoencoder, header);
    }

    public static AdapterHeader LoadAdapter(VideoDiT model, string path, bool ema = true)
    {
        var (header, tensors) = TensorArchive.Read<AdapterHeader>(path);
        if (header.Kind != AdapterKind) throw new InvalidDataException($"{path}: a '{header.Kind}' file, not a LoRA adapter");
        Lora.Apply(model, new LoraConfig { Rank = header.Rank, Alpha = header.Alpha, Targets = header.Targets });
        CopyInto(Lora.Parameters(model), tensors, ema ? "ema/" : "model/", path);
        return header;
    }

    internal static void CopyInto<T>(IEnumerable<(string Name, T Param)> parameters, IReadOnlyDictionary<string, Tensor> tensors, string prefix, string path)
        where T : Tensor
    {
        using var _ = no_grad();
        foreach (var (name, p) in parameters)
        {
            if (!tensors.TryGetValue(prefix + name, out var value))
                throw new InvalidDataException($"{path}: missing tensor '{prefix + name}' (checkpoint from another model shape?)");
            if (!value.shape.SequenceEqual(p.shape))
                throw new InvalidDataException($"{path}: tensor '{prefix + name}' has shape [{string.Join(",", value.shape)}], model expects [{string.Join(",", p.shape)}]");
            p.copy_(value);
        }
    }
}
