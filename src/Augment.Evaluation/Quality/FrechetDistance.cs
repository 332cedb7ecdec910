namespace Augment.Evaluation.Quality;

/// <summary>
/// The Fréchet distance between Gaussians fitted to two feature sets (as FID/FVD compute it, here on the reference
/// classifier's penultimate features): ‖μ₁−μ₂‖² + tr(Σ₁ + Σ₂ − 2·(Σ₁^½ Σ₂ Σ₁^½)^½). The symmetric form of the cross term
/// keeps every square root on a symmetric PSD matrix, so it never produces the complex parts that sqrtm(Σ₁Σ₂) can.
/// Covariances use n−1. Small sets bias it upward, so compare it with a floor measured on sets of the same size.
/// </summary>
public static class FrechetDistance
{
    public static double Between(IReadOnlyList<double[]> a, IReadOnlyList<double[]> b)
    {
        if (a.Count < 2 || b.Count < 2) throw new ArgumentException($"the Fréchet distance needs at least 2 vectors a side, got {a.Count} and {b.Count}");
        int d = a[0].Length;
        if (a.Concat(b).Any(x => x.Length != d)) throw new ArgumentException("every feature vector must have the same length");
        var (muA, covA) = Moments(a);
        var (muB, covB) = Moments(b);
        double meanTerm = 0;
        for (int i = 0; i < d; i++) meanTerm += (muA[i] - muB[i]) * (muA[i] - muB[i]);

        var rootA = SymmetricEigen.Sqrt(covA);
        var cross = SymmetricEigen.Sqrt(Multiply(Multiply(rootA, covB), rootA));
        double trace = 0;
        for (int i = 0; i < d; i++) trace += covA[i, i] + covB[i, i] - 2 * cross[i, i];
        double distance = meanTerm + trace;
        if (!double.IsFinite(distance)) throw new ArithmeticException("the Fréchet distance came out non-finite");
        // Rounding can leave a tiny negative value for identical sets; the distance itself is never negative.
        return Math.Max(distance, 0);
    }

    /// <summary>Mean vector and sample covariance (n−1).</summary>
    public static (double[] Mean, double[,] Covariance) Moments(IReadOnlyList<double[]> x)
    {
        int n = x.Count, d = x[0].Length;
        var mean = new double[d];
        foreach (var row in x)
            for (int i = 0; i < d; i++) mean[i] += row[i] / n;
        var cov = new double[d, d];
        foreach (var row in x)
            for (int i = 0; i < d; i++)
            {
                double di = row[i] - mean[i];
                for (int j = i; j < d; j++) cov[i, j] += di * (row[j] - mean[j]) / (n - 1);
            }
        for (int i = 0; i < d; i++)
            for (int j = 0; j < i; j++) cov[i, j] = cov[j, i];
        return (mean, cov);
    }

    static double[,] Multiply(double[,] a, double[,] b)
    {
        int n = a.GetLength(0), m = b.GetLength(1), k = a.GetLength(1);
        var c = new double[n, m];
        for (int i = 0; i < n; i++)
            for (int p = 0; p < k; p++)
            {
                double aip = a[i, p];
                if (aip == 0) continue;
                for (int j = 0; j < m; j++) c[i, j] += aip * b[p, j];
            }
        return c;
    }
}
