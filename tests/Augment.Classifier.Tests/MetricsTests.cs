using Augment.Classifier;

namespace Augment.Tests.Classifier;

public class MetricsTests
{
    [Fact]
    public void MatchesHandComputedExample()
    {
        // Class "d" never occurs in labels or predictions, so it stays out of the macro averages.
        string[] classes = ["a", "b", "c", "d"];
        int[] labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
        int[] predicted = [0, 0, 0, 1, 1, 1, 1, 2, 0, 0];
        var scores = predicted.Select(p => Enumerable.Range(0, 4).Select(c => c == p ? 0.7f : 0.1f).ToArray()).ToArray();

        var m = Metrics.Compute(classes, labels, scores);

        // Confusion [actual][predicted]: a→(3,1,0), b→(0,3,0), c→(2,0,1).
        Assert.Equal(new[] { 3, 1, 0, 0 }, m.Confusion[0]);
        Assert.Equal(new[] { 0, 3, 0, 0 }, m.Confusion[1]);
        Assert.Equal(new[] { 2, 0, 1, 0 }, m.Confusion[2]);
        Assert.Equal(new[] { 0, 0, 0, 0 }, m.Confusion[3]);
        Assert.Equal(0.7, m.Accuracy, 9);
        // Precision a=3/5, b=3/4, c=1/1; recall a=3/4, b=1, c=1/3.
        Assert.Equal(0.6, m.PerClass[0].Precision, 9);
        Assert.Equal(0.75, m.PerClass[1].Precision, 9);
        Assert.Equal(1.0, m.PerClass[2].Precision, 9);
        Assert.Equal(0.75, m.PerClass[0].Recall, 9);
        Assert.Equal(1.0, m.PerClass[1].Recall, 9);
        Assert.Equal(1.0 / 3, m.PerClass[2].Recall, 9);
        Assert.Equal(2.0 / 3, m.PerClass[0].F1, 9);
        Assert.Equal(6.0 / 7, m.PerClass[1].F1, 9);
        Assert.Equal(0.5, m.PerClass[2].F1, 9);
        Assert.Equal(new[] { 4, 3, 3, 0 }, m.PerClass.Select(c => c.Support));
        Assert.Equal((0.6 + 0.75 + 1.0) / 3, m.MacroPrecision, 9);
        Assert.Equal((0.75 + 1.0 + 1.0 / 3) / 3, m.MacroRecall, 9);
        Assert.Equal((2.0 / 3 + 6.0 / 7 + 0.5) / 3, m.MacroF1, 9);
        Assert.Equal((4 * 0.6 + 3 * 0.75 + 3 * 1.0) / 10, m.WeightedPrecision, 9);
        Assert.Equal(0.7, m.WeightedRecall, 9);
        Assert.Equal((4 * 2.0 / 3 + 3 * 6.0 / 7 + 3 * 0.5) / 10, m.WeightedF1, 9);
        Assert.Equal((0.75 + 1.0 + 1.0 / 3) / 3, m.BalancedAccuracy, 9);
    }

    [Fact]
    public void RejectsMismatchedScores()
    {
        var e = Assert.Throws<ArgumentException>(() => Metrics.Compute(["a", "b"], [0, 1], [[1f, 0f], [1f]]));
        Assert.Contains("example 1", e.Message);
    }
}
