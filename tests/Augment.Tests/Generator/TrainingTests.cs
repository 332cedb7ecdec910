using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Generator.Model;
using Augment.Generator.Training;
using static TorchSharp.torch;

namespace Augment.Tests.Generator;

public class TrainingTests
{
    [Fact]
    public void TinyModelLearnsClassDistinguishableClipsFromPrompts()
    {
        var dir = TinyFixtures.TempDir();
        var config = TinyFixtures.Config(pretrainSteps: 300);
        var path = Path.Combine(dir, "base.ckpt");
        GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(), config, path, ["tiny"]);
        var generator = new NativeGenerator("tiny", path, null, config);
        for (int seed = 0; seed < 3; seed++)
        {
            var red = TinyFixtures.MeanColour(generator.Sample("a red clip", seed));
            var blue = TinyFixtures.MeanColour(generator.Sample("a blue clip", seed));
            Assert.True(red[0] > red[2] + 40, $"red prompt gave mean RGB {string.Join(",", red.Select(v => v.ToString("F0")))}");
            Assert.True(blue[2] > blue[0] + 40, $"blue prompt gave mean RGB {string.Join(",", blue.Select(v => v.ToString("F0")))}");
        }
    }

    [Fact]
    public void ResumedTrainingContinuesBitIdentically()
    {
        var dir = TinyFixtures.TempDir();
        var data = TinyFixtures.RedBlue(3);
        var straight = Path.Combine(dir, "straight.ckpt");
        var resumed = Path.Combine(dir, "resumed.ckpt");
        GeneratorTraining.PretrainOn(data, TinyFixtures.Config(pretrainSteps: 20), straight, ["tiny"]);
        GeneratorTraining.PretrainOn(data, TinyFixtures.Config(pretrainSteps: 10), resumed, ["tiny"]);
        var half = TensorArchive.Read<BaseHeader>(resumed).Meta;
        Assert.Equal(10, half.Step);
        GeneratorTraining.PretrainOn(data, TinyFixtures.Config(pretrainSteps: 20), resumed, ["tiny"]);
        var (ha, a) = TensorArchive.Read<BaseHeader>(straight);
        var (hb, b) = TensorArchive.Read<BaseHeader>(resumed);
        Assert.Equal(20, hb.Step);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) Assert.True(TinyFixtures.Same(a[key], b[key]), $"{key} differs after resume");

        // A finished checkpoint is not trained again and reports the loss it recorded.
        var hash = TensorArchive.Hash(resumed);
        Assert.Equal(hb.Loss, GeneratorTraining.PretrainOn(data, TinyFixtures.Config(pretrainSteps: 20), resumed, ["tiny"]));
        Assert.False(double.IsNaN(hb.Loss));
        Assert.Equal(hash, TensorArchive.Hash(resumed));
    }

    [Fact]
    public void CheckpointRoundTripGivesTheSameModel()
    {
        var dir = TinyFixtures.TempDir();
        var path = Path.Combine(dir, "base.ckpt");
        GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(2), TinyFixtures.Config(pretrainSteps: 5), path, ["tiny"]);
        var (model, header) = Checkpoints.LoadBase(path);
        Assert.Equal(TinyFixtures.Model, header.Model);
        var (again, _) = Checkpoints.LoadBase(path);
        using var _ = no_grad();
        var x = randn(new long[] { 2, 3, 4, 16, 16 });
        var t = tensor(new float[] { 0.3f, 0.8f });
        var bags = PromptBag.Batch(["a red clip", ""], 64);
        Assert.True(TinyFixtures.Same(model.forward(x, t, bags), again.forward(x, t, bags)));
        // A truncated file is refused with its path, not loaded half-way.
        var bytes = File.ReadAllBytes(path);
        var broken = Path.Combine(dir, "broken.ckpt");
        File.WriteAllBytes(broken, bytes[..(bytes.Length / 2)]);
        var error = Assert.Throws<InvalidDataException>(() => Checkpoints.LoadBase(broken));
        Assert.Contains("broken.ckpt", error.Message);
    }
}
