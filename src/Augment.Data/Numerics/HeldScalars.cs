using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Data.Numerics;

/// <summary>
/// Tensor arithmetic whose TorchSharp Scalars live until libtorch has returned. TorchSharp 0.107's own operators
/// (<c>x * 0.5</c>, <c>1 - x</c>, and <c>a + b</c> through its alpha = 1) make Scalars that no dispose scope holds: the
/// finalizer frees them, sometimes on its thread while the native call still reads them. The build refuses those forms
/// (analyzers AUG001/AUG002 in build/Analyzers); these are what Augment writes instead. Each computes what the operator
/// it replaces computes, with the same elementary operations, so results are bit-identical.
/// </summary>
public static class HeldScalars
{
    /// <summary>Rooted by static fields, so never finalised: for alpha/value = 1 and the commonest constants.</summary>
    public static readonly Scalar One = 1, Zero = 0, Two = 2;

    /// <summary>a + b.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary>a += b, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary>a + k.</summary>
    public static Tensor Plus(this Tensor a, double k)
    {
        using Scalar s = k;
        return a.add(s, One);
    }

    /// <summary>a − k.</summary>
    public static Tensor Minus(this Tensor a, double k)
    {
        using Scalar s = k;
        return a.sub(s);
    }

    /// <summary>k − a.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double k)
    {
        using Scalar s = k;
        using var negated = a.neg();
        return negated.add(s, One);
    }

    /// <summary>a · k.</summary>
    public static Tensor Times(this Tensor a, double k)
    {
        using Scalar s = k;
        return a.mul(s);
    }

    /// <summary>a / k.</summary>
    public static Tensor DividedBy(this Tensor a, double k)
    {
        using Scalar s = k;
        return a.div(s);
    }

    /// <summary>a clamped to [min, max].</summary>
    public static Tensor Clamped(this Tensor a, double min, double max)
    {
        using Scalar lo = min, hi = max;
        return a.clamp(lo, hi);
    }

    /// <summary>a clamped below at min.</summary>
    public static Tensor ClampedMin(this Tensor a, double min)
    {
        using Scalar lo = min;
        return a.clamp_min(lo);
    }

    /// <summary>A tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Full(long[] shape, double value, ScalarType? dtype = null, Device? device = null)
    {
        using Scalar v = value;
        return full(shape, v, dtype: dtype, device: device);
    }

    /// <summary>start, start + step, … below stop, as <paramref name="dtype"/>.</summary>
    public static Tensor Arange(long start, long stop, long step, ScalarType dtype, Device? device = null)
    {
        using Scalar a = start, b = stop, s = step;
        return arange(a, b, s, dtype: dtype, device: device);
    }
}
