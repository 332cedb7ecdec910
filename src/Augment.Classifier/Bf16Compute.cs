using Augment.Classifier.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Classifier;

/// <summary>
/// Mixed precision without autocast (TorchSharp 0.107 has none): the trained model stays float32 — its weights are the
/// master copy the optimizer updates, and what checkpoints hold — while each step runs forward and backward on a
/// bfloat16 copy. Before a step the copy takes the master weights; after backward the master takes the copy's
/// gradients in float32, so small updates are not lost to bfloat16's 8-bit mantissa. Buffers (BatchNorm running
/// statistics of the torchvision backbones) and train/eval modes follow the same way: the copy takes the master's before
/// a step, and the master takes the statistics the step updated (rounded to bfloat16 by the copy's forward).
/// </summary>
public sealed class Bf16Compute : IDisposable
{
    readonly VideoClassifier copy;
    readonly List<Parameter> master, low;
    readonly List<Tensor> masterBuffers, lowBuffers;
    readonly List<(nn.Module Master, nn.Module Low)> modules;

    public Bf16Compute(VideoClassifier model, ModelConfig config, Device device)
    {
        copy = ClassifierModels.Create(config);
        copy.to(device, ScalarType.BFloat16);
        master = model.parameters().ToList();
        low = copy.parameters().ToList();
        masterBuffers = model.buffers().ToList();
        lowBuffers = copy.buffers().ToList();
        modules = model.named_modules().Select(m => m.module).Zip(copy.named_modules().Select(m => m.module)).ToList();
    }

    /// <summary>The bfloat16 model, holding the current master weights.</summary>
    public VideoClassifier Sync()
    {
        using var _ = no_grad();
        for (int i = 0; i < master.Count; i++) low[i].copy_(master[i]);
        for (int i = 0; i < masterBuffers.Count; i++) lowBuffers[i].copy_(masterBuffers[i]);
        // Parents come before their children, so a frozen stage or norm_eval BatchNorm ends in the master's mode.
        copy.train(modules[0].Master.training);
        foreach (var (m, l) in modules.Skip(1)) l.train(m.training);
        return copy;
    }

    public void ZeroGrad()
    {
        foreach (var p in low) p.grad = null;
    }

    /// <summary>The copy's gradients, in float32, on the master weights (where clipping and the optimizer see them),
    /// and the running statistics its forward updated.</summary>
    public void GradientsToMaster()
    {
        for (int i = 0; i < master.Count; i++)
            master[i].grad = low[i].grad?.to(ScalarType.Float32);
        // Only modules in training mode updated statistics; the others keep the master's float32 values unrounded.
        using var _ = no_grad();
        foreach (var (m, l) in modules.Where(p => p.Master.training))
            foreach (var (mine, theirs) in m.named_buffers(recurse: false).Zip(l.named_buffers(recurse: false)))
                mine.buffer.copy_(theirs.buffer);
    }

    public void Dispose() => copy.Dispose();
}
