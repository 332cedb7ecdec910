namespace Augment.Evaluation.Quality;

/// <summary>Euclidean geometry of feature sets: pairwise spread and nearest neighbours.</summary>
public static class FeatureSpace
{
    public static double Distance(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (a[i] - b[i]) * (a[i] - b[i]);
        return Math.Sqrt(s);
    }

    /// <summary>Mean distance over all unordered pairs of the set; null for fewer than 2 vectors.</summary>
    public static double? MeanPairwiseDistance(IReadOnlyList<double[]> x)
    {
        if (x.Count < 2) return null;
        double sum = 0;
        long pairs = 0;
        for (int i = 0; i < x.Count; i++)
            for (int j = i + 1; j < x.Count; j++, pairs++) sum += Distance(x[i], x[j]);
        return sum / pairs;
    }

    /// <summary>For each query, the distance to its nearest vector in the reference set.</summary>
    public static double[] NearestDistances(IReadOnlyList<double[]> queries, IReadOnlyList<double[]> reference) =>
        queries.Select(q => reference.Min(r => Distance(q, r))).ToArray();

    /// <summary>For each vector of the set, the distance to its nearest other member (leave-one-out).</summary>
    public static double[] LeaveOneOutNearest(IReadOnlyList<double[]> x) =>
        Enumerable.Range(0, x.Count).Select(i => Enumerable.Range(0, x.Count).Where(j => j != i).Min(j => Distance(x[i], x[j]))).ToArray();

}
