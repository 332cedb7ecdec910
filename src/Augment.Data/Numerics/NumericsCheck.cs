using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Data.Numerics;

/// <summary>The self-check's finding: Ok, or what was off and by how much.</summary>
public sealed record NumericsVerdict(bool Ok, string Detail, double WorstRelativeError, int NonFinite);

/// <summary>
/// A few milliseconds of the kernels training leans on (2D and 3D convolution forward and backward, as the classifier
/// and generator use them, and a matmul) in float32 on fixed inputs, compared with the same computation in float64.
/// oneDNN has no float64 kernels, so the reference runs on ATen's own code: a second implementation, not a repeat of
/// the first. Inputs come from a private generator, so the check never moves libtorch's global random state.
/// </summary>
public static class NumericsCheck
{
    /// <summary>Relative error (max |a−b| / max |b|) above which float32 disagrees with float64 for real.</summary>
    public const double Tolerance = 1e-3;

    public static NumericsVerdict Run(int repeats = 4)
    {
        using var scope = NewDisposeScope();
        var random = new Random(20260101);
        double worst = 0;
        int nonFinite = 0;
        var problems = new List<string>();
        void Compare(string what, Tensor got, Tensor reference)
        {
            int bad = NonFinite.Count(got);
            if (bad > 0)
            {
                nonFinite += bad;
                problems.Add($"{what}: {bad} non-finite values");
                return;
            }
            double scale = Math.Max(reference.abs().max().item<double>(), 1e-12);
            double error = (got.to(ScalarType.Float64) - reference).abs().max().item<double>() / scale;
            worst = Math.Max(worst, error);
            if (error > Tolerance) problems.Add($"{what}: off by {error:0.0e0} (relative)");
        }

        for (int r = 0; r < repeats; r++)
        {
            // The layer pattern of the classifier's stem: strided 3×3 conv, then a (3,1) conv, both without bias.
            foreach (var (what, got, reference) in Against64("conv2d", Fixed(random, 4, 3, 17, 17), Fixed(random, 8, 3, 3, 3), Fixed(random, 8, 8, 3, 1),
                         (x, w, w2) => nn.functional.conv2d(nn.functional.relu(nn.functional.conv2d(x, w, strides: [2, 2])), w2, padding: [1, 0])))
                Compare(what, got, reference);

            // The generator's shapes: a strided patch-embedding Conv3d, unpatchified, plus a padded 3×3×3 conv.
            foreach (var (what, got, reference) in Against64("conv3d", Fixed(random, 2, 3, 4, 8, 8), Fixed(random, 32, 3, 2, 4, 4), Fixed(random, 3, 3, 3, 3, 3),
                         (x, w, w2) =>
                         {
                             var coarse = nn.functional.conv3d(x, w, strides: [2, 4, 4])[.., ..3]
                                 .repeat_interleave(2, 2).repeat_interleave(4, 3).repeat_interleave(4, 4);
                             return coarse.Plus(nn.functional.conv3d(coarse, w2, padding: [1, 1, 1]));
                         }))
                Compare(what, got, reference);

            // The classifier's (2+1)D factorisation: a (1,3,3) spatial and a (3,1,1) temporal conv.
            foreach (var (what, got, reference) in Against64("(2+1)D conv", Fixed(random, 2, 8, 4, 12, 12), Fixed(random, 8, 8, 1, 3, 3), Fixed(random, 8, 8, 3, 1, 1),
                         (x, w, w2) => nn.functional.conv3d(nn.functional.relu(nn.functional.conv3d(x, w, strides: [1, 2, 2], padding: [0, 1, 1])), w2, padding: [1, 0, 0])))
                Compare(what, got, reference);

            var a = Fixed(random, 64, 48);
            var b = Fixed(random, 48, 32);
            Compare("matmul", a.matmul(b), a.to(ScalarType.Float64).matmul(b.to(ScalarType.Float64)));
        }
        bool ok = problems.Count == 0;
        var detail = ok ? $"conv2d/conv3d forward+backward and matmul agree with float64 (worst relative error {worst:0.0e0})"
            : string.Join("; ", problems.Distinct().Take(4));
        return new NumericsVerdict(ok, detail, worst, nonFinite);
    }

    /// <summary>
    /// A two-layer network f(x, w, w2) in float32 and in float64: its output, and the gradients of Σy² with respect to
    /// the input and the first weight, each paired with its float64 reference.
    /// </summary>
    static IEnumerable<(string, Tensor, Tensor)> Against64(string name, Tensor x, Tensor w, Tensor w2, Func<Tensor, Tensor, Tensor, Tensor> network)
    {
        var (y, gx, gw) = Gradients(network, x, w, w2);
        var (ry, rgx, rgw) = Gradients(network, x.to(ScalarType.Float64), w.to(ScalarType.Float64), w2.to(ScalarType.Float64));
        yield return ($"{name} forward", y, ry);
        yield return ($"{name} input gradient", gx, rgx);
        yield return ($"{name} weight gradient", gw, rgw);
    }

    static (Tensor, Tensor, Tensor) Gradients(Func<Tensor, Tensor, Tensor, Tensor> network, Tensor x, Tensor w, Tensor w2)
    {
        x = x.detach().requires_grad_(true);
        w = w.detach().requires_grad_(true);
        var y = network(x, w, w2.detach());
        y.pow(HeldScalars.Two).sum().backward();
        return (y.detach(), x.grad!, w.grad!);
    }

    static Tensor Fixed(Random random, params long[] shape)
    {
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return tensor(values).reshape(shape);
    }
}
