using Augment.Data.Numerics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Classifier.Models;

/// <summary>
/// BatchNorm over 1-, 2- or 3-d inputs (PyTorch's BatchNorm1d/2d/3d: same parameters, buffers and state-dict names, so
/// torchvision checkpoints load into it). TorchSharp's own counts batches while training with
/// <c>num_batches_tracked.add_(1)</c>, two Scalars only the finalizer frees (<see cref="HeldScalars"/>); this one counts
/// with a held Scalar. Without a momentum the running statistics are cumulative averages, as in PyTorch.
/// </summary>
public sealed class HeldBatchNorm(long features, int spatialDims, double eps = 1e-5, double momentum = 0.1)
    : BatchNorm(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name: $"BatchNorm{spatialDims}d")
{
    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim != spatialDims + 2)
            throw new ArgumentException($"BatchNorm{spatialDims}d expects {spatialDims + 2}-d input, got {input.ndim}-d");
    }

    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        if (training) num_batches_tracked?.add_(HeldScalars.One, HeldScalars.One);
        double factor = momentum ?? (training ? 1.0 / num_batches_tracked!.item<long>() : 0.0);
        return nn.functional.batch_norm(input, running_mean, running_var, weight, bias, training, factor, eps);
    }
}
