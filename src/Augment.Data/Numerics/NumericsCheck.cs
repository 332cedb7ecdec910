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
            var x2 = Fixed(random, 4, 3, 17, 17);
            var w2a = Fixed(random, 8, 3, 3, 3);
            var w2b = Fixed(random, 8, 8, 3, 1);
            foreach (var (what, got, reference) in Conv2dCase(x2, w2a, w2b)) Compare(what, got, reference);

            // The generator's shapes: a strided patch-embedding Conv3d and a padded 3×3×3 conv.
            var x3 = Fixed(random, 2, 3, 4, 8, 8);
            var w3a = Fixed(random, 32, 3, 2, 4, 4);
            var w3b = Fixed(random, 3, 3, 3, 3, 3);
            foreach (var (what, got, reference) in Conv3dCase(x3, w3a, w3b)) Compare(what, got, reference);

            // The classifier's (2+1)D factorisation: a (1,3,3) spatial and a (3,1,1) temporal conv.
            var xc = Fixed(random, 2, 8, 4, 12, 12);
            var ws = Fixed(random, 8, 8, 1, 3, 3);
            var wt = Fixed(random, 8, 8, 3, 1, 1);
            foreach (var (what, got, reference) in FactorisedCase(xc, ws, wt)) Compare(what, got, reference);

            var a = Fixed(random, 64, 48);
            var b = Fixed(random, 48, 32);
            Compare("matmul", a.matmul(b), a.to(ScalarType.Float64).matmul(b.to(ScalarType.Float64)));
        }
        bool ok = problems.Count == 0;
        var detail = ok ? $"conv2d/conv3d forward+backward and matmul agree with float64 (worst relative error {worst:0.0e0})"
            : string.Join("; ", problems.Distinct().Take(4));
        return new NumericsVerdict(ok, detail, worst, nonFinite);
    }

    static IEnumerable<(string, Tensor, Tensor)> Conv2dCase(Tensor x, Tensor wa, Tensor wb)
    {
        var (y, gx, gwa) = Conv2d(x, wa, wb);
        var (ry, rgx, rgwa) = Conv2d(x.to(ScalarType.Float64), wa.to(ScalarType.Float64), wb.to(ScalarType.Float64));
        yield return ("conv2d forward", y, ry);
        yield return ("conv2d input gradient", gx, rgx);
        yield return ("conv2d weight gradient", gwa, rgwa);
    }

    static (Tensor, Tensor, Tensor) Conv2d(Tensor x, Tensor wa, Tensor wb)
    {
        x = x.detach().requires_grad_(true);
        wa = wa.detach().requires_grad_(true);
        var h = nn.functional.relu(nn.functional.conv2d(x, wa, strides: new long[] { 2, 2 }));
        var y = nn.functional.conv2d(h, wb.detach(), padding: new long[] { 1, 0 });
        y.pow(2).sum().backward();
        return (y.detach(), x.grad!, wa.grad!);
    }

    static IEnumerable<(string, Tensor, Tensor)> Conv3dCase(Tensor x, Tensor wa, Tensor wb)
    {
        var (y, gx, gwa) = Conv3d(x, wa, wb);
        var (ry, rgx, rgwa) = Conv3d(x.to(ScalarType.Float64), wa.to(ScalarType.Float64), wb.to(ScalarType.Float64));
        yield return ("conv3d forward", y, ry);
        yield return ("conv3d input gradient", gx, rgx);
        yield return ("conv3d weight gradient", gwa, rgwa);
    }

    static (Tensor, Tensor, Tensor) Conv3d(Tensor x, Tensor wa, Tensor wb)
    {
        x = x.detach().requires_grad_(true);
        wa = wa.detach().requires_grad_(true);
        var h = nn.functional.conv3d(x, wa, strides: new long[] { 2, 4, 4 });
        var coarse = h[.., ..3].repeat_interleave(2, 2).repeat_interleave(4, 3).repeat_interleave(4, 4);
        var y = coarse + nn.functional.conv3d(coarse, wb.detach(), padding: new long[] { 1, 1, 1 });
        y.pow(2).sum().backward();
        return (y.detach(), x.grad!, wa.grad!);
    }

    static IEnumerable<(string, Tensor, Tensor)> FactorisedCase(Tensor x, Tensor ws, Tensor wt)
    {
        var (y, gx, gws) = Factorised(x, ws, wt);
        var (ry, rgx, rgws) = Factorised(x.to(ScalarType.Float64), ws.to(ScalarType.Float64), wt.to(ScalarType.Float64));
        yield return ("(2+1)D conv forward", y, ry);
        yield return ("(2+1)D conv input gradient", gx, rgx);
        yield return ("(2+1)D conv weight gradient", gws, rgws);
    }

    static (Tensor, Tensor, Tensor) Factorised(Tensor x, Tensor ws, Tensor wt)
    {
        x = x.detach().requires_grad_(true);
        ws = ws.detach().requires_grad_(true);
        var h = nn.functional.relu(nn.functional.conv3d(x, ws, strides: new long[] { 1, 2, 2 }, padding: new long[] { 0, 1, 1 }));
        var y = nn.functional.conv3d(h, wt.detach(), padding: new long[] { 1, 0, 0 });
        y.pow(2).sum().backward();
        return (y.detach(), x.grad!, ws.grad!);
    }

    static Tensor Fixed(Random random, params long[] shape)
    {
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1);
        return tensor(values).reshape(shape);
    }
}
