namespace Augment.Data;

/// <summary>The order statistics and the shuffle every stage uses, written once so they agree everywhere.</summary>
public static class Stats
{
    /// <summary>The middle value (the mean of the two middle ones for an even count).</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        if (n == 0) throw new ArgumentException("the median of nothing");
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    }

    /// <summary>Linear interpolation between order statistics (numpy's default) at a fraction in [0, 1] of sorted values.</summary>
    public static double Percentile(double[] sorted, double fraction)
    {
        double rank = Math.Clamp(fraction, 0, 1) * (sorted.Length - 1);
        int below = (int)Math.Floor(rank);
        int above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (rank - below) * (sorted[above] - sorted[below]);
    }

    /// <summary>Fisher–Yates in place, driven by the caller's seeded generator.</summary>
    public static void Shuffle<T>(IList<T> list, Random rng)
    {
        for (int i = list.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
