namespace Augment.Evaluation;

/// <summary>Mean and sample standard deviation of one metric over seeds.</summary>
public sealed record MetricStats(double Mean, double Std, int N)
{
    /// <summary>Sample standard deviation (n−1); 0 for a single seed.</summary>
    public static MetricStats Of(IEnumerable<double> values)
    {
        var v = values.ToArray();
        if (v.Length == 0) return new MetricStats(double.NaN, double.NaN, 0);
        double mean = v.Average();
        double std = v.Length > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Length - 1)) : 0;
        return new MetricStats(mean, std, v.Length);
    }
}
