using static TorchSharp.torch;

namespace Augment.Data.Numerics;

public static class NonFinite
{
    /// <summary>How many NaN/Inf values a tensor holds (0 for integer tensors).</summary>
    public static int Count(Tensor x)
    {
        if (!x.is_floating_point()) return 0;
        using var scope = NewDisposeScope();
        return (int)x.isfinite().logical_not().sum().item<long>();
    }
}
