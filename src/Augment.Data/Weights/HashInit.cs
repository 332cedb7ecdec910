using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Data.Weights;

/// <summary>
/// The reference kit's <c>--init hash</c> weights (torchvision cases), rebuilt bit for bit from its rule, so a test of a
/// full-size model needs only the small io file, not the 125 MB weights: every floating tensor of the state dict gets
/// value = (float)(lo + (hi−lo)·u), u = (splitmix64(key + (i+1)·φ) >> 40) / 2²⁴ for flat index i, with
/// key = FNV-1a-64(name) XOR seed·φ; integer buffers keep their values. The ranges [lo,hi] depend on the name and shape
/// (<see cref="Range"/>).
/// </summary>
public static class HashInit
{
    const ulong Golden = 0x9E3779B97F4A7C15;

    /// <summary>Overwrites every floating tensor of the module's state dict by the rule; returns how many were set.</summary>
    public static int Apply(nn.Module module, long seed)
    {
        int count = 0;
        using var _ = no_grad();
        foreach (var (name, tensor) in module.state_dict())
        {
            if (!tensor.is_floating_point()) continue;
            var (lo, hi) = Range(name, tensor.shape);
            using var values = torch.tensor(Values(name, seed, tensor.numel(), lo, hi), tensor.shape);
            tensor.copy_(values);
            count++;
        }
        return count;
    }

    /// <summary>running_mean [−0.2,0.2]; running_var [0.5,1.5]; other ≥2-D tensors ±√(6/fan_in) with fan_in = numel/shape[0];
    /// other *.bias [−0.1,0.1]; other 1-D tensors [0.5,1.5].</summary>
    public static (double Lo, double Hi) Range(string name, long[] shape)
    {
        if (name.EndsWith("running_mean", StringComparison.Ordinal)) return (-0.2, 0.2);
        if (name.EndsWith("running_var", StringComparison.Ordinal)) return (0.5, 1.5);
        if (shape.Length >= 2)
        {
            long numel = shape.Aggregate(1L, (a, b) => a * b);
            double b = Math.Sqrt(6.0 / (numel / shape[0]));
            return (-b, b);
        }
        return name.EndsWith("bias", StringComparison.Ordinal) ? (-0.1, 0.1) : (0.5, 1.5);
    }

    public static float[] Values(string name, long seed, long count, double lo, double hi)
    {
        ulong key = Fnv1a64(name) ^ unchecked((ulong)seed * Golden);
        var values = new float[count];
        Parallel.For(0, (count + 65535) / 65536, chunk =>
        {
            long end = Math.Min(count, (chunk + 1) * 65536);
            for (long i = chunk * 65536; i < end; i++)
            {
                ulong z = unchecked(key + (ulong)(i + 1) * Golden);
                z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9);
                z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EB);
                z ^= z >> 31;
                double u = (z >> 40) * (1.0 / 16777216.0);
                values[i] = (float)(lo + (hi - lo) * u);
            }
        });
        return values;
    }

    static ulong Fnv1a64(string text)
    {
        ulong h = 0xCBF29CE484222325;
        foreach (byte b in Encoding.UTF8.GetBytes(text)) h = unchecked((h ^ b) * 0x100000001B3);
        return h;
    }
}
