using Augment.Data;

namespace Augment.Evaluation;

/// <summary>Test-set labels and the predictions of a baseline run and a candidate run trained with the same seed.</summary>
public sealed record PredictionPair(int[] Baseline, int[] Candidate);

/// <summary>The same with the upper-bound run of that seed (more real data of the targeted classes).</summary>
public sealed record PredictionTriple(int[] Baseline, int[] Candidate, int[] UpperBound);

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
        var scorer = new Scorer(labels, classes);
        var macro = new double[resamples];
        var perClass = classesOfInterest.ToDictionary(c => c, _ => new double[resamples]);
        Resample(labels, pairs.Count, resamples, seed, (b, sample, drawn) =>
        {
            macro[b] = drawn.Average(i => scorer.Macro(pairs[i].Candidate, sample) - scorer.Macro(pairs[i].Baseline, sample));
            foreach (var (c, values) in perClass) values[b] = drawn.Average(i => scorer.Class(pairs[i].Candidate, sample, c) - scorer.Class(pairs[i].Baseline, sample, c));
        });
        var all = Enumerable.Range(0, labels.Length).ToArray();
        return new BootstrapResult(
            Interval(pairs.Average(p => scorer.Macro(p.Candidate, all) - scorer.Macro(p.Baseline, all)), macro),
            perClass.ToDictionary(kv => kv.Key, kv => Interval(pairs.Average(p => scorer.Class(p.Candidate, all, kv.Key) - scorer.Class(p.Baseline, all, kv.Key)), kv.Value)));
    }

    /// <summary>
    /// Gain captured = ΔF1(candidate) / ΔF1(upper bound), both against the same baseline run of each seed, with a 95%
    /// percentile interval from the same paired resampling as <see cref="Delta"/> (seeds and videos drawn once for the
    /// numerator and the denominator, so their correlation is kept). Each resample's ratio is the mean Δ of the drawn
    /// seeds over theirs; a resample whose upper-bound Δ is exactly 0 has no ratio and is left out (the interval's
    /// <see cref="ConfidenceInterval.Resamples"/> counts those used). Overall (macro-F1) and per class of interest.
    /// The ratio means something only where the upper bound itself gains; the caller says so when it does not.
    /// </summary>
    public static BootstrapResult GainCaptured(int[] labels, IReadOnlyList<PredictionTriple> runs, int classes, IReadOnlyList<int> classesOfInterest,
        int resamples = 2000, long seed = 0)
    {
        if (runs.Count == 0) throw new ArgumentException("need at least one seed with a baseline, a candidate and an upper-bound run");
        foreach (var r in runs)
            if (r.Baseline.Length != labels.Length || r.Candidate.Length != labels.Length || r.UpperBound.Length != labels.Length)
                throw new ArgumentException($"predictions cover {r.Baseline.Length}/{r.Candidate.Length}/{r.UpperBound.Length} videos, labels {labels.Length}");
        var scorer = new Scorer(labels, classes);
        Func<int[], int[], double> Macro = scorer.Macro;
        double Ratio(IEnumerable<int> drawn, int[] sample, Func<int[], int[], double> score)
        {
            double gain = 0, bound = 0;
            foreach (var i in drawn)
            {
                double b = score(runs[i].Baseline, sample);
                gain += score(runs[i].Candidate, sample) - b;
                bound += score(runs[i].UpperBound, sample) - b;
            }
            return bound == 0 ? double.NaN : gain / bound;
        }
        var macro = new double[resamples];
        var perClass = classesOfInterest.ToDictionary(c => c, _ => new double[resamples]);
        Resample(labels, runs.Count, resamples, seed, (b, sample, drawn) =>
        {
            macro[b] = Ratio(drawn, sample, Macro);
            foreach (var (c, values) in perClass) values[b] = Ratio(drawn, sample, (p, s) => scorer.Class(p, s, c));
        });
        var all = Enumerable.Range(0, labels.Length).ToArray();
        var seeds = Enumerable.Range(0, runs.Count).ToArray();
        return new BootstrapResult(Interval(Ratio(seeds, all, Macro), macro),
            perClass.ToDictionary(kv => kv.Key, kv => Interval(Ratio(seeds, all, (p, s) => scorer.Class(p, s, kv.Key)), kv.Value)));
    }

    /// <summary>
    /// The resampling both statistics share: per resample, the videos drawn with replacement within each class (in one
    /// order, so a resample's sample does not depend on the statistic) and then the seeds drawn with replacement.
    /// </summary>
    static void Resample(int[] labels, int seeds, int resamples, long seed, Action<int, int[], int[]> statistic)
    {
        var byClass = labels.Distinct().Order().Select(c => Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).ToArray()).ToArray();
        var rng = Seeds.Random(seed, "paired-bootstrap");
        var sample = new int[labels.Length];
        var drawn = new int[seeds];
        for (int b = 0; b < resamples; b++)
        {
            int k = 0;
            foreach (var rows in byClass)
                for (int i = 0; i < rows.Length; i++) sample[k++] = rows[rng.Next(rows.Length)];
            for (int i = 0; i < seeds; i++) drawn[i] = rng.Next(seeds);
            statistic(b, sample, drawn);
        }
    }

    /// <summary>A 95% percentile interval; NaN draws (an undefined ratio) are left out and not counted.</summary>
    static ConfidenceInterval Interval(double estimate, double[] draws)
    {
        var finite = draws.Where(double.IsFinite).Order().ToArray();
        return finite.Length == 0 ? new ConfidenceInterval(estimate, double.NaN, double.NaN, 0)
            : new ConfidenceInterval(estimate, Stats.Percentile(finite, 0.025), Stats.Percentile(finite, 0.975), finite.Length);
    }

    /// <summary>F1 scores over the test split's classes (those present in the labels), on a sample of units.</summary>
    sealed class Scorer(int[] labels, int classes)
    {
        readonly int[] labelSet = labels.Distinct().Order().ToArray();
        public double Macro(int[] predicted, int[] sample) => MacroF1(labels, predicted, sample, labelSet, classes);
        public double Class(int[] predicted, int[] sample, int c) => F1(labels, predicted, sample, c);
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
