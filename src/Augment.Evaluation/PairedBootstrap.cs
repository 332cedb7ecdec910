using Augment.Data;

namespace Augment.Evaluation;

/// <summary>Test-set labels and the predictions of a baseline run and a candidate run trained with the same seed.</summary>
public sealed record PredictionPair(int[] Baseline, int[] Candidate);

public sealed record ConfidenceInterval(double Estimate, double Low, double High, int Resamples)
{
    public bool ExcludesZero => Low > 0 || High < 0;
}

/// <summary>ΔmacroF1 with its interval, and the Δ of each class asked for (the scarce, targeted ones) with theirs.</summary>
public sealed record BootstrapResult(ConfidenceInterval MacroF1, IReadOnlyDictionary<int, ConfidenceInterval> ClassF1);

/// <summary>
/// 95% paired bootstrap CIs of candidate − baseline, over the evaluation units (videos) of the test split. Each
/// resample draws the seeds (pairs) with replacement and, jointly for all drawn pairs, the videos with replacement
/// within each class (stratified: every resample keeps the test split's class counts, so the classes averaged by
/// macro-F1 are always the same, those of the test split). Pairing keeps seed and video effects out of the interval.
/// </summary>
public static class PairedBootstrap
{
    public static BootstrapResult Delta(int[] labels, IReadOnlyList<PredictionPair> pairs, int classes, IReadOnlyList<int> classesOfInterest,
        int resamples = 2000, long seed = 0)
    {
        if (pairs.Count == 0) throw new ArgumentException("need at least one pair of runs");
        foreach (var p in pairs)
            if (p.Baseline.Length != labels.Length || p.Candidate.Length != labels.Length)
                throw new ArgumentException($"predictions cover {p.Baseline.Length}/{p.Candidate.Length} videos, labels {labels.Length}");
        var labelSet = labels.Distinct().Order().ToArray();
        var byClass = labelSet.Select(c => Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray()).ToArray();

        var all = Enumerable.Range(0, labels.Length).ToArray();
        double Macro(int[] predicted, int[] sample) => MacroF1(labels, predicted, sample, labelSet, classes);
        double Class(int[] predicted, int[] sample, int c) => F1(labels, predicted, sample, c);
        var macro = new double[resamples];
        var perClass = classesOfInterest.ToDictionary(c => c, _ => new double[resamples]);

        var rng = Seeds.Random(seed, "paired-bootstrap");
        var sample = new int[labels.Length];
        for (int b = 0; b < resamples; b++)
        {
            int k = 0;
            foreach (var rows in byClass)
                for (int i = 0; i < rows.Length; i++) sample[k++] = rows[rng.Next(rows.Length)];
            var drawn = Enumerable.Range(0, pairs.Count).Select(_ => pairs[rng.Next(pairs.Count)]).ToList();
            macro[b] = drawn.Average(p => Macro(p.Candidate, sample) - Macro(p.Baseline, sample));
            foreach (var (c, values) in perClass) values[b] = drawn.Average(p => Class(p.Candidate, sample, c) - Class(p.Baseline, sample, c));
        }
        ConfidenceInterval Interval(double estimate, double[] deltas)
        {
            Array.Sort(deltas);
            return new ConfidenceInterval(estimate, Stats.Percentile(deltas, 0.025), Stats.Percentile(deltas, 0.975), resamples);
        }
        return new BootstrapResult(
            Interval(pairs.Average(p => Macro(p.Candidate, all) - Macro(p.Baseline, all)), macro),
            perClass.ToDictionary(kv => kv.Key, kv => Interval(pairs.Average(p => Class(p.Candidate, all, kv.Key) - Class(p.Baseline, all, kv.Key)), kv.Value)));
    }

    /// <summary>ΔmacroF1 alone.</summary>
    public static ConfidenceInterval DeltaMacroF1(int[] labels, IReadOnlyList<PredictionPair> pairs, int classes, int resamples = 2000, long seed = 0) =>
        Delta(labels, pairs, classes, [], resamples, seed).MacroF1;

    /// <summary>Macro-F1 over a fixed set of classes (0/0 counts as 0), on the given sample of units.</summary>
    public static double MacroF1(int[] labels, int[] predicted, int[] sample, IReadOnlyList<int> labelSet, int classes)
    {
        Span<int> tp = stackalloc int[classes], fp = stackalloc int[classes], fn = stackalloc int[classes];
        foreach (var i in sample)
        {
            if (labels[i] == predicted[i]) tp[labels[i]]++;
            else { fn[labels[i]]++; fp[predicted[i]]++; }
        }
        double sum = 0;
        foreach (var c in labelSet)
        {
            int denominator = 2 * tp[c] + fp[c] + fn[c];
            sum += denominator == 0 ? 0 : 2.0 * tp[c] / denominator;
        }
        return labelSet.Count == 0 ? 0 : sum / labelSet.Count;
    }

    static double F1(int[] labels, int[] predicted, int[] sample, int c)
    {
        int tp = 0, fp = 0, fn = 0;
        foreach (var i in sample)
        {
            bool actual = labels[i] == c, guessed = predicted[i] == c;
            if (actual && guessed) tp++;
            else if (actual) fn++;
            else if (guessed) fp++;
        }
        return 2 * tp + fp + fn == 0 ? 0 : 2.0 * tp / (2 * tp + fp + fn);
    }

}
