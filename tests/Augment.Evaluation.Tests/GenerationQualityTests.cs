using Augment.Classifier.Models;
using Augment.Evaluation.Quality;
using static TorchSharp.torch;

namespace Augment.Tests.Classifier;

public class GenerationQualityTests
{
    const int Classes = 5, Dims = 6;
    static readonly string[] Names = Enumerable.Range(0, Classes).Select(c => $"class{c}").ToArray();

    /// <summary>Gaussian clusters around class centres, with a correlated covariance; "predicted" = nearest centre.</summary>
    static FeatureSet Clusters(int perClass, int seed, double spread = 1.0)
    {
        var rng = new Random(seed);
        var features = new List<double[]>();
        var labels = new List<int>();
        for (int c = 0; c < Classes; c++)
            for (int i = 0; i < perClass; i++)
            {
                var z = Enumerable.Range(0, Dims).Select(_ => Normal(rng)).ToArray();
                features.Add(Enumerable.Range(0, Dims).Select(d => Centre(c)[d] + spread * (z[d] + 0.5 * z[(d + 1) % Dims])).ToArray());
                labels.Add(c);
            }
        return new FeatureSet(features, labels.ToArray(), features.Select(Nearest).ToArray());
    }

    static double[] Centre(int c) => Enumerable.Range(0, Dims).Select(d => d == c ? 3.0 : 0.0).ToArray();
    static int Nearest(double[] x) => Enumerable.Range(0, Classes).MinBy(c => FeatureSpace.Distance(x, Centre(c)));
    static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    [Fact]
    public void MatrixSquareRootSquaresBackEvenWhenSingular()
    {
        var rng = new Random(1);
        foreach (int rank in new[] { 6, 3 })
        {
            var b = new double[6, rank];
            for (int i = 0; i < 6; i++) for (int j = 0; j < rank; j++) b[i, j] = Normal(rng);
            var a = new double[6, 6];
            for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) for (int k = 0; k < rank; k++) a[i, j] += b[i, k] * b[j, k];
            var root = SymmetricEigen.Sqrt(a);
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++)
                {
                    double square = 0;
                    for (int k = 0; k < 6; k++) square += root[i, k] * root[k, j];
                    Assert.Equal(a[i, j], square, 9);
                    Assert.Equal(root[i, j], root[j, i], 12);
                }
        }
    }

    [Fact]
    public void FrechetDistanceMatchesClosedForms()
    {
        var a = Clusters(20, seed: 2).Features;
        Assert.Equal(0, FrechetDistance.Between(a, a), 9);
        // A shift by v moves only the means: FD = ‖v‖².
        Assert.Equal(1 + 4 + 9, FrechetDistance.Between(a, a.Select(x => x.Select((v, d) => v + (d < 3 ? d + 1 : 0)).ToArray()).ToList()), 8);
        // Scaling by c: means differ by (c−1)μ, covariances are Σ and c²Σ, so FD = (c−1)²(‖μ‖² + tr Σ).
        var (mu, cov) = FrechetDistance.Moments(a);
        double expected = 4 * (mu.Sum(m => m * m) + Enumerable.Range(0, Dims).Sum(d => cov[d, d]));
        Assert.Equal(expected, FrechetDistance.Between(a, a.Select(x => x.Select(v => 3 * v).ToArray()).ToList()), 8);
        // One dimension: (μa−μb)² + (σa−σb)², sample variances 2 and 8: 3² + (√2 − 2√2)².
        Assert.Equal(9 + 2, FrechetDistance.Between([[0.0], [2.0]], [[2.0], [6.0]]), 9);
    }

    static RealFeatures Real() => new(Clusters(40, seed: 3), Clusters(40, seed: 4), Clusters(40, seed: 3));

    [Fact]
    public void AGenerationIdenticalToTheRealValidationClipsScoresLikeThem()
    {
        var real = Real();
        var report = GenerationQuality.Measure(real, real.Val, Names, Names, seed: 0);
        foreach (var row in report.Classes)
        {
            Assert.Equal(0, row.Frechet!.Value, 8);
            Assert.Equal(row.RealValAccuracy, row.Recognisability);
            Assert.Equal(1, row.Diversity!.Value, 12);
            Assert.True(row.FrechetFloor > 0, "two real sets of a class differ by sampling alone");
        }
        Assert.InRange(report.Classes.Average(r => r.Recognisability!.Value), 0.8, 1.0);
    }

    [Fact]
    public void ShuffledLabelsGiveChanceRecognisability()
    {
        var fake = Clusters(200, seed: 5);
        var rng = new Random(6);
        var shuffled = fake.Labels.OrderBy(_ => rng.Next()).ToArray();
        var report = GenerationQuality.Measure(Real(), fake with { Labels = shuffled }, Names, Names, seed: 0);
        Assert.InRange(report.Classes.Average(r => r.Recognisability!.Value), 0.15, 0.25);
        Assert.All(report.Classes, r => Assert.True(r.Frechet > 3 * r.FrechetFloor, $"{r.Class}: {r.Frechet} vs floor {r.FrechetFloor}"));
    }

    [Fact]
    public void CopiesOfTrainingClipsAreNearCopiesAndACollapsedSetHasNoDiversity()
    {
        var real = Real();
        var rng = new Random(7);
        var copies = real.Seen with { Features = real.Seen.Features.Select(x => x.Select(v => v + 1e-3 * Normal(rng)).ToArray()).ToList() };
        Assert.All(GenerationQuality.Measure(real, copies, Names, Names, 0).Classes, r => Assert.Equal(1.0, r.NearCopyShare));

        var fresh = GenerationQuality.Measure(real, Clusters(40, seed: 8), Names, Names, 0);
        Assert.InRange(fresh.Classes.Average(r => r.NearCopyShare!.Value), 0, 0.2);
        Assert.InRange(fresh.Classes.Average(r => r.Diversity!.Value), 0.8, 1.25);

        var collapsed = Clusters(40, seed: 9, spread: 0);
        Assert.All(GenerationQuality.Measure(real, collapsed, Names, Names, 0).Classes, r => Assert.Equal(0, r.Diversity!.Value, 12));
    }

    [Fact]
    public void AGenerationTheGateEmptiedMeasuresNothingRatherThanNaN()
    {
        var row = GenerationQuality.Measure(Real(), new FeatureSet([], [], []), Names, ["class1"], 0).Classes.Single();
        Assert.Equal(0, row.GeneratedClips);
        Assert.Equal(new double?[] { null, null, null, null, null }, new[] { row.Recognisability, row.Frechet, row.FrechetFloor, row.Diversity, row.NearCopyShare });
        Assert.NotNull(row.RealValAccuracy);
    }

    [Theory]
    [InlineData("r2plus1d")]
    [InlineData("frame2d")]
    public void ClassifiersExposeTheirPenultimateFeatures(string kind)
    {
        using var model = ClassifierModels.Create(new ModelConfig(kind, NumClasses: 3, Width: 4, Depth: 2, Frames: 4, Height: 16, ImageWidth: 16));
        model.eval();
        using var x = randn(new long[] { 2, 3, 4, 16, 16 });
        using var features = model.Features(x);
        Assert.Equal(new long[] { 2, 8 }, features.shape);
        Assert.Equal(0, Augment.Data.Numerics.NonFinite.Count(features));
    }
}
