using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Generator.Sampling;
using Augment.Generator.Training;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Tests.Generator;

public class SamplerTests
{
    [Theory]
    [InlineData("euler")]
    [InlineData("heun")]
    public void SamplerFollowsAStraightFlowExactly(string solver)
    {
        // For data at a single point c, the true velocity is (x_t − c)/t; integrating it must land on c.
        var c = HeldScalars.Full([1, 3, 2, 4, 4], 0.25f);
        VelocityModel exact = (x, t, _) => (x - c) / t.reshape(-1, 1, 1, 1, 1);
        using var rng = new TorchSharp.torch.Generator(1);
        var noise = randn(new long[] { 1, 3, 2, 4, 4 }, generator: rng);
        var x = FlowSampler.Sample(exact, noise, zeros(1, 8), new SamplerConfig { Steps = 6, Cfg = 1.0, Shift = 3.0, Solver = solver });
        Assert.True(x.allclose(c, atol: 1e-4), $"{solver} ended at mean {x.mean().item<float>()}");
    }

    [Fact]
    public void SameSeedGivesTheSameClipAndOtherSeedsDiffer()
    {
        var dir = TinyFixtures.TempDir();
        var path = Path.Combine(dir, "base.ckpt");
        var config = TinyFixtures.Config(pretrainSteps: 10);
        GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(2), config, path, ["tiny"]);
        var first = new NativeGenerator("g", path, null, config);
        var second = new NativeGenerator("g", path, null, config with { Sampler = config.Sampler with { Solver = "euler" } });
        Assert.Equal(first.Sample("a red clip", 11).Pixels, second.Sample("a red clip", 11).Pixels);
        Assert.NotEqual(first.Sample("a red clip", 11).Pixels, first.Sample("a red clip", 12).Pixels);
        Assert.Equal(2 * 8, FlowSampler.Evaluations(config.Sampler));
    }
}
