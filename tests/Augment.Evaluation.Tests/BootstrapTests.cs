using Augment.Report;
using Augment.Evaluation;

namespace Augment.Tests.Experiments;

public class BootstrapTests
{
    static readonly int[] Labels = Enumerable.Range(0, 60).Select(i => i % 3).ToArray();

    // A classifier that gets a given fraction of clips right; errors are spread by a seeded stream.
    static int[] Predict(double accuracy, int seed)
    {
        var rng = new Random(seed);
        return Labels.Select(l => rng.NextDouble() < accuracy ? l : (l + 1 + rng.Next(2)) % 3).ToArray();
    }

    [Fact]
    public void MacroF1MatchesAHandComputedExample()
    {
        int[] labels = [0, 0, 1, 1, 2, 2];
        int[] predicted = [0, 1, 1, 1, 2, 0];
        // class 0: tp1 fp1 fn1 → 0.5; class 1: tp2 fp1 fn0 → 0.8; class 2: tp1 fp0 fn1 → 2/3
        Assert.Equal((0.5 + 0.8 + 2.0 / 3) / 3, PairedBootstrap.MacroF1(labels, predicted, [0, 1, 2, 3, 4, 5], [0, 1, 2], 3), 12);
        // The label set is fixed: a sample without class 2 still averages over three classes (class 2 scores 0), so a
        // resample cannot move macro-F1 just by dropping a class.
        Assert.Equal((2.0 / 3 + 0.8 + 0) / 3, PairedBootstrap.MacroF1(labels, predicted, [0, 1, 2, 3], [0, 1, 2], 3), 12);
    }

    [Fact]
    public void ResamplesKeepEveryClassOfTheTestSplitAndReportTargetedClasses()
    {
        // 40 videos of class 0, 2 of the scarce class 2: unstratified resamples would often drop class 2 entirely.
        int[] labels = [.. Enumerable.Repeat(0, 40), .. Enumerable.Repeat(1, 10), 2, 2];
        int[] baseline = [.. labels.Select((l, i) => l == 2 ? 0 : l)];
        int[] candidate = [.. labels];
        var result = PairedBootstrap.Delta(labels, [new PredictionPair(baseline, candidate)], 3, [2], 500, seed: 3);
        // The scarce class goes from F1 0 to 1 in every resample (stratified: both its videos' classes are always drawn).
        var scarce = result.ClassF1[2];
        Assert.Equal((1.0, 1.0, 1.0), (scarce.Estimate, scarce.Low, scarce.High));
        Assert.True(result.MacroF1.Low > 0);
    }

    [Fact]
    public void IdenticalPredictionsGiveAZeroInterval()
    {
        var pairs = Enumerable.Range(0, 3).Select(s => { var p = Predict(0.7, s); return new PredictionPair(p, p); }).ToList();
        var ci = PairedBootstrap.DeltaMacroF1(Labels, pairs, 3, 1000, seed: 1);
        Assert.Equal(0, ci.Estimate);
        Assert.Equal(0, ci.Low);
        Assert.Equal(0, ci.High);
        Assert.False(ci.ExcludesZero);
    }

    [Fact]
    public void ClearlyBetterSystemHasAnIntervalAboveZero()
    {
        var pairs = Enumerable.Range(0, 3).Select(s => new PredictionPair(Predict(0.45, s), Predict(0.95, 100 + s))).ToList();
        var ci = PairedBootstrap.DeltaMacroF1(Labels, pairs, 3, 1000, seed: 1);
        Assert.True(ci.Estimate > 0.3, $"estimate {ci.Estimate}");
        Assert.True(ci.Low > 0, $"CI [{ci.Low}, {ci.High}]");
        Assert.True(ci.Low <= ci.Estimate && ci.Estimate <= ci.High);
        // worse-than-baseline mirrors it
        var swapped = pairs.Select(p => new PredictionPair(p.Candidate, p.Baseline)).ToList();
        Assert.True(PairedBootstrap.DeltaMacroF1(Labels, swapped, 3, 1000, seed: 1).High < 0);
    }

    [Fact]
    public void SameSeedSameIntervalAndNoiseStraddlesZero()
    {
        // Two systems of equal skill with independent errors: the interval must contain 0.
        var pairs = Enumerable.Range(0, 3).Select(s => new PredictionPair(Predict(0.7, s), Predict(0.7, 50 + s))).ToList();
        var a = PairedBootstrap.DeltaMacroF1(Labels, pairs, 3, 1000, seed: 7);
        var b = PairedBootstrap.DeltaMacroF1(Labels, pairs, 3, 1000, seed: 7);
        Assert.Equal(a, b);
        Assert.True(a.Low < 0 && a.High > 0, $"CI [{a.Low}, {a.High}]");
    }
}
