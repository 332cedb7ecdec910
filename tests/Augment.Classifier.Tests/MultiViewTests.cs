using Augment.Classifier;
using Augment.Classifier.Models;
using Augment.Data;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Tests.Classifier;

/// <summary>Test-time views (MMAction2's num_clips × ThreeCrop, average_clips='prob').</summary>
public class MultiViewTests
{
    [Fact]
    public void DecodeSpecHoldsEveryClipAndAWiderFrameForThreeCrops()
    {
        var spec = new ClipSpec(8, 112, 112);
        Assert.Equal(spec with { Frames = 80, Width = 149 }, new TestViews(10, 3, 8, 112, 112).DecodeSpec(spec));
        Assert.Equal(spec with { Frames = 16 }, new TestViews(2, 1, 8, 112, 112).DecodeSpec(spec));
    }

    /// <summary>
    /// A clip's score is the mean of its 2 × 3 views' softmax, each view being every second frame (offset 0 or 1) and
    /// the left, centre or right 16×16 window; scored one view at a time, the same numbers come out.
    /// </summary>
    [Fact]
    public void ScoresAreTheMeanOfTheViewsProbabilities()
    {
        var views = new TestViews(2, 3, 4, 16, 16);
        var decode = views.DecodeSpec(new ClipSpec(4, 16, 16));
        using var g = new TorchSharp.torch.Generator(5);
        using var pixels = randint(0, 256, new long[] { 3, decode.Frames, decode.Height, decode.Width, 3 }, generator: g).to(ScalarType.Byte);
        var refs = Enumerable.Range(0, 3).Select(i => new ClipRef($"v{i}.mp4", i % 2 == 0 ? "a" : "b", "test", $"v{i}")).ToList();
        using var set = new ClipSet(pixels, [0, 1, 0], refs, ["a", "b"]);
        TorchDevice.Seed(1);
        using var model = ClassifierModels.Create(new ModelConfig("r2plus1d", 2, 4, 1, 4, 16, 16));

        var (scores, loss) = ClassifierEvaluator.Predict(model, set, CPU, 2, views);

        var expected = new double[3, 2];
        foreach (int clip in new[] { 0, 1 })
            foreach (long left in new long[] { 0, (decode.Width - 16) / 2, decode.Width - 16 })
            {
                using var view = pixels.index_select(1, HeldScalars.Arange(clip, decode.Frames, 2, ScalarType.Int64)).narrow(3, left, 16).contiguous();
                using var single = new ClipSet(view, [0, 1, 0], refs, ["a", "b"]);
                var (one, _) = ClassifierEvaluator.Predict(model, single, CPU, 2);
                for (int i = 0; i < 3; i++)
                    for (int k = 0; k < 2; k++) expected[i, k] += one[i][k] / 6.0;
            }
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 2; k++) Assert.Equal(expected[i, k], scores[i][k], 5);
        double nll = -Enumerable.Range(0, 3).Average(i => Math.Log(expected[i, new[] { 0, 1, 0 }[i]]));
        Assert.Equal(nll, loss, 4);
    }

    [Fact]
    public void ClipsOfTheWrongLengthAreAClearError()
    {
        using var pixels = zeros(new long[] { 1, 4, 16, 21, 3 }, ScalarType.Byte);
        using var set = new ClipSet(pixels, [0], [new ClipRef("v.mp4", "a", "test", "v")], ["a"]);
        var e = Assert.Throws<ArgumentException>(() => ClipBatcher.View(set, [0], CPU, new TestViews(2, 3, 4, 16, 16), 0, 0, null));
        Assert.Contains("need 8x16x≥16", e.Message);
    }
}
