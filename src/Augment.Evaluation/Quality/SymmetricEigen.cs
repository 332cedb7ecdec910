namespace Augment.Evaluation.Quality;

/// <summary>
/// Eigen-decomposition of a real symmetric matrix by cyclic Jacobi rotations, in double precision. Slow for large
/// matrices but exact to rounding and unconditionally stable, which is what a matrix square root of a nearly singular
/// covariance (fewer clips than feature dimensions) needs; classifier features here have tens of dimensions.
/// </summary>
public static class SymmetricEigen
{
    /// <summary>Eigenvalues and eigenvectors (columns of Vectors) with A = V·diag(λ)·Vᵀ.</summary>
    public static (double[] Values, double[,] Vectors) Decompose(double[,] matrix)
    {
        int n = matrix.GetLength(0);
        if (matrix.GetLength(1) != n) throw new ArgumentException("the matrix must be square");
        var a = (double[,])matrix.Clone();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++)
            {
                if (!double.IsFinite(a[i, j]) || !double.IsFinite(a[j, i])) throw new ArgumentException("the matrix holds a non-finite value");
                a[i, j] = a[j, i] = 0.5 * (a[i, j] + a[j, i]); // symmetrise away rounding noise
            }
        var v = new double[n, n];
        for (int i = 0; i < n; i++) v[i, i] = 1;

        for (int sweep = 0; sweep < 100; sweep++)
        {
            double off = 0, diag = 0;
            for (int i = 0; i < n; i++)
            {
                diag += a[i, i] * a[i, i];
                for (int j = i + 1; j < n; j++) off += a[i, j] * a[i, j];
            }
            if (off <= 1e-30 * Math.Max(diag, 1e-300)) break;
            for (int p = 0; p < n; p++)
                for (int q = p + 1; q < n; q++)
                {
                    if (a[p, q] == 0) continue;
                    // The rotation angle that zeroes a[p,q] (Golub & Van Loan, Algorithm 8.4.1).
                    double theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    double t = Math.Sign(theta == 0 ? 1 : theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k, p], akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[p, k], aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k, p], vkq = v[k, q];
                        v[k, p] = c * vkp - s * vkq;
                        v[k, q] = s * vkp + c * vkq;
                    }
                }
        }
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = a[i, i];
        return (values, v);
    }

    /// <summary>
    /// The symmetric positive semi-definite square root: V·diag(√max(λ,0))·Vᵀ. Eigenvalues that rounding pushed slightly
    /// below zero are clipped to zero (a covariance is PSD by construction).
    /// </summary>
    public static double[,] Sqrt(double[,] matrix)
    {
        var (values, v) = Decompose(matrix);
        int n = values.Length;
        var root = new double[n, n];
        for (int k = 0; k < n; k++)
        {
            double s = Math.Sqrt(Math.Max(values[k], 0));
            if (s == 0) continue;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) root[i, j] += v[i, k] * s * v[j, k];
        }
        return root;
    }
}
