using Augment.Classifier.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Classifier;

/// <summary>
/// Mixed precision without autocast (TorchSharp 0.107 has none): the trained model stays float32 — its weights are the
/// master copy the optimizer updates, and what checkpoints hold — while each step runs forward and backward on a
/// bfloat16 copy. Before a step the copy takes the master weights; after backward the master takes the copy's
/// gradients in float32, so small updates are not lost to bfloat16's 8-bit mantissa.
/// </summary>
public sealed class Bf16Compute : IDisposable
{
    readonly VideoClassifier copy;
    readonly List<Parameter> master, low;

    public Bf16Compute(VideoClassifier model, ModelConfig config, Device device)
    {
        copy = ClassifierModels.Create(config);
        copy.to(device, ScalarType.BFloat16);
        master = model.parameters().ToList();
        low = copy.parameters().ToList();
    }

    /// <summary>The bfloat16 model, holding the current master weights.</summary>
    public VideoClassifier Sync()
    {
        using var _ = no_grad();
        for (int i = 0; i < master.Count; i++) low[i].copy_(master[i]);
        return copy;
    }

    public void ZeroGrad()
    {
        foreach (var p in low) p.grad = null;
    }

    /// <summary>The copy's gradients, in float32, on the master weights (where clipping and the optimizer see them).</summary>
    public void GradientsToMaster()
    {
        for (int i = 0; i < master.Count; i++)
            master[i].grad = low[i].grad?.to(ScalarType.Float32);
    }

    public void Dispose() => copy.Dispose();
}
