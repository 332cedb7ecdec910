using Augment.Generator.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Generator.Training;

/// <summary>Header of a base checkpoint: the model shape and how far training got.</summary>
public sealed record BaseHeader(string Kind, ModelConfig Model, int Step, int TotalSteps, long Seed, IReadOnlyList<string> Datasets, double Loss = double.NaN, int SkippedSteps = 0);

/// <summary>Header of a LoRA adapter: its settings and the base it was trained on.</summary>
public sealed record AdapterHeader(string Kind, int Rank, double Alpha, IReadOnlyList<string> Targets, string BaseHash,
    int Step, int TotalSteps, long Seed, string Dataset, double Loss = double.NaN, int SkippedSteps = 0);

/// <summary>
/// Base checkpoints hold model/, ema/ and adam_m|adam_v/ tensors; adapters hold the same groups for the LoRA
/// parameters only. Sampling loads the ema/ weights.
/// </summary>
public static class Checkpoints
{
    public const string BaseKind = "augment-video-dit", AdapterKind = "augment-lora";

    public static (VideoDiT Model, BaseHeader Header) LoadBase(string path, bool ema = true)
    {
        var (header, tensors) = TensorArchive.Read<BaseHeader>(path);
        if (header.Kind != BaseKind) throw new InvalidDataException($"{path}: a '{header.Kind}' file, not a base checkpoint");
        var model = new VideoDiT(header.Model);
        CopyInto(model.named_parameters().Select(p => (p.name, p.parameter)), tensors, ema ? "ema/" : "model/", path);
        return (model, header);
    }

    public static AdapterHeader LoadAdapter(VideoDiT model, string path, bool ema = true)
    {
        var (header, tensors) = TensorArchive.Read<AdapterHeader>(path);
        if (header.Kind != AdapterKind) throw new InvalidDataException($"{path}: a '{header.Kind}' file, not a LoRA adapter");
        Lora.Apply(model, new LoraConfig { Rank = header.Rank, Alpha = header.Alpha, Targets = header.Targets });
        CopyInto(Lora.Parameters(model), tensors, ema ? "ema/" : "model/", path);
        return header;
    }

    internal static void CopyInto(IEnumerable<(string Name, Parameter Param)> parameters, IReadOnlyDictionary<string, Tensor> tensors, string prefix, string path)
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
