using Augment.Data;

namespace Augment.Experiments.Report;

/// <summary>Test-set labels and the predictions of a baseline run and a candidate run trained with the same seed.</summary>
public sealed record PredictionPair(int[] Baseline, int[] Candidate);

public sealed record ConfidenceInterval(double Estimate, double Low, double High, int Resamples)
{
    public bool ExcludesZero => Low > 0 || High < 0;
}

/// <summary>
/// 95% paired bootstrap CI of ΔmacroF1 = candidate − baseline. Each resample draws the seeds (pairs) with replacement
/// and, jointly for all drawn pairs, the test clips with replacement; Δ is the mean over drawn pairs of the F1
/// difference on the drawn clips. Pairing keeps the seed-to-seed and clip-to-clip correlation out of the interval.
/// </summary>
public static class PairedBootstrap
{
    public static ConfidenceInterval DeltaMacroF1(int[] labels, IReadOnlyList<PredictionPair> pairs, int classes,
        int resamples = 2000, long seed = 0)
    {
        if (pairs.Count == 0) throw new ArgumentException("need at least one pair of runs");
        foreach (var p in pairs)
            if (p.Baseline.Length != labels.Length || p.Candidate.Length != labels.Length)
                throw new ArgumentException($"predictions cover {p.Baseline.Length}/{p.Candidate.Length} clips, labels {labels.Length}");

        var all = Enumerable.Range(0, labels.Length).ToArray();
        double estimate = pairs.Average(p => MacroF1(labels, p.Candidate, all, classes) - MacroF1(labels, p.Baseline, all, classes));

        var rng = Seeds.Random(seed, "paired-bootstrap");
        var deltas = new double[resamples];
        var clips = new int[labels.Length];
        for (int b = 0; b < resamples; b++)
        {
            for (int i = 0; i < clips.Length; i++) clips[i] = rng.Next(labels.Length);
            double sum = 0;
            for (int s = 0; s < pairs.Count; s++)
            {
                var p = pairs[rng.Next(pairs.Count)];
                sum += MacroF1(labels, p.Candidate, clips, classes) - MacroF1(labels, p.Baseline, clips, classes);
            }
            deltas[b] = sum / pairs.Count;
        }
        Array.Sort(deltas);
        return new ConfidenceInterval(estimate, Percentile(deltas, 0.025), Percentile(deltas, 0.975), resamples);
    }

    /// <summary>
    /// Macro-F1 over the given clip indices. A class that is neither present nor predicted in the sample is left out of
    /// the average (its F1 is undefined); a class present but never predicted, or predicted but absent, counts as 0.
    /// </summary>
    public static double MacroF1(int[] labels, int[] predicted, int[] clips, int classes)
    {
        Span<int> tp = stackalloc int[classes], fp = stackalloc int[classes], fn = stackalloc int[classes];
        foreach (var i in clips)
        {
            if (labels[i] == predicted[i]) tp[labels[i]]++;
            else { fn[labels[i]]++; fp[predicted[i]]++; }
        }
        double sum = 0;
        int counted = 0;
        for (int c = 0; c < classes; c++)
        {
            int denominator = 2 * tp[c] + fp[c] + fn[c];
            if (denominator == 0) continue;
            sum += 2.0 * tp[c] / denominator;
            counted++;
        }
        return counted == 0 ? 0 : sum / counted;
    }

    // Linear interpolation between order statistics (numpy's default).
    static double Percentile(double[] sorted, double q)
    {
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
