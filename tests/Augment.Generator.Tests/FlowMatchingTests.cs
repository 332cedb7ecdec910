using Augment.Generator;
using Augment.Generator.Models.Native;
using Augment.Generator.Training;
using static TorchSharp.torch;
using Augment.Cli.Bench;

namespace Augment.Tests.Generator;

public class FlowMatchingTests
{
    [Fact]
    public void InterpolationRunsFromDataAtZeroToNoiseAtOne()
    {
        var x0 = ones(new long[] { 2, 3, 4, 4, 4 });
        var noise = zeros(new long[] { 2, 3, 4, 4, 4 });
        var xt = FlowMatching.Interpolate(x0, noise, tensor(new float[] { 0f, 1f }));
        Assert.Equal(1f, xt[0].mean().item<float>(), 5);
        Assert.Equal(0f, xt[1].mean().item<float>(), 5);
        Assert.Equal(-1f, FlowMatching.VelocityTarget(x0, noise).mean().item<float>(), 5);
    }

    [Fact]
    public void ShiftKeepsEndpointsAndMovesTheMiddleTowardsNoise()
    {
        Assert.Equal(0, FlowMatching.Shift(0, 7), 10);
        Assert.Equal(1, FlowMatching.Shift(1, 7), 10);
        Assert.Equal(7.0 / 8.0, FlowMatching.Shift(0.5, 7), 10);
        var grid = FlowMatching.TimeGrid(10, 3);
        Assert.Equal(1, grid[0], 10);
        Assert.Equal(0, grid[^1], 10);
        Assert.True(grid.Zip(grid.Skip(1)).All(p => p.First > p.Second), "time grid must fall monotonically");
    }

    [Fact]
    public void LossFallsOnATinySet()
    {
        var data = TinyFixtures.RedBlue();
        var dir = TinyFixtures.TempDir();
        var losses = new List<double>();
        GeneratorTraining.PretrainOn(data, TinyFixtures.Config(pretrainSteps: 200), Path.Combine(dir, "base.ckpt"), ["tiny"],
            new SyncProgress<TrainProgress>(p => { if (p.Stage == "pretrain") losses.Add(p.Loss); }));
        Assert.Equal(200, losses.Count);
        Assert.True(losses.Take(20).Average() > 1.5 * losses.TakeLast(20).Average(),
            $"loss did not fall: first {losses.Take(20).Average():F3}, last {losses.TakeLast(20).Average():F3}");
    }

    [Fact]
    public void PromptBagsAreStableAndCaseInsensitive()
    {
        Assert.Equal(PromptBag.Vector("Polyp in the colon", 64), PromptBag.Vector("polyp IN the colon", 64));
        Assert.Equal(1f, PromptBag.Vector("a b c", 64).Sum(), 5);
        Assert.All(PromptBag.Words("x y z").Select(w => PromptBag.Bucket(w, 64)), b => Assert.InRange(b, 1, 63));
        Assert.Equal(0f, PromptBag.Vector("", 64).Sum());
    }
}

/// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

public class ProfileTests
{
    [Theory]
    [InlineData("tiny")]
    [InlineData("small")]
    [InlineData("full")]
    public void EveryProfileDescribesAValidModelAndSampler(string profile)
    {
        var config = Augment.Experiments.Config.Profiles.Load(profile).Engine;
        config.Model.Validate();
        Assert.Contains(config.Sampler.Solver, new[] { "euler", "heun" });
        Assert.True(config.Lora.Rank >= 1 && config.Adapt.Steps > 0 && config.Pretrain.Steps > config.Adapt.Steps);
        Assert.True(Augment.Cli.Bench.GeneratorBenchmark.ForwardFlops(config.Model) > 0);
        Assert.Throws<FileNotFoundException>(() => Augment.Experiments.Config.Profiles.Load("huge"));
    }
}
