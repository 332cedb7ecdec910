using Augment.Classifier;
using Augment.Evaluation.Quality;
using Augment.Data;
using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Generator.Models.Native;
using Augment.Generator.Training;
using static TorchSharp.torch;

using Augment.Tests.Classifier;
using Augment.Data.Numerics;

namespace Augment.Tests.Generator;

public class TrainingTests
{
    /// <summary>Clips as the classifier's uint8 [N,T,H,W,3] set, labelled.</summary>
    static ClipSet Set(IReadOnlyList<(Clip Clip, int Label)> clips, string split)
    {
        var c = clips[0].Clip;
        var pixels = tensor(clips.SelectMany(x => x.Clip.Pixels).ToArray()).reshape(clips.Count, c.Frames, c.Height, c.Width, 3);
        return new ClipSet(pixels, clips.Select(x => x.Label).ToArray(),
            clips.Select((x, i) => new ClipRef($"{split}/{i}.mp4", Colours[x.Label], split, $"{split}{i}")).ToList(), Colours);
    }

    static readonly string[] Colours = ["red", "blue"];

    [Fact]
    public void LatentModelLearnsTwoPromptsThatATinyReferenceClassifierTellsApart()
    {
        var dir = TinyFixtures.TempDir();
        var config = TinyFixtures.Config(pretrainSteps: 300);
        var path = Path.Combine(dir, "base.ckpt");
        GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(), config, path, ["tiny"]);
        var generator = new NativeGenerator("tiny", path, null, config);

        // The reference: a tiny classifier trained on real red and blue clips, never on generated ones.
        (Clip, int) Real(int label, int i) => (label == 0 ? TinyFixtures.Coloured(220, 40, 40, 500 + i) : TinyFixtures.Coloured(40, 40, 220, 600 + i), label);
        using var train = Set(Enumerable.Range(0, 8).SelectMany(i => new[] { Real(0, i), Real(1, i) }).ToList(), "train");
        using var val = Set(Enumerable.Range(8, 2).SelectMany(i => new[] { Real(0, i), Real(1, i) }).ToList(), "val");
        var options = new ClassifierOptions
        {
            Model = "r2plus1d", Width = 8, Depth = 2, Epochs = 20, BatchSize = 8, Device = "cpu", Seed = 3, Augment = false, WarmupEpochs = 0, Patience = 100,
            LabelSmoothing = 0, WeightDecay = 0,
        };
        var reference = ClassifierTrainer.Train(train, val, val, TinyClips.RealOnly(train), options, Path.Combine(dir, "reference"));
        Assert.Equal(1.0, reference.Test.Accuracy);

        using var generated = Set(Enumerable.Range(0, 4).SelectMany(seed => new[]
        {
            (generator.Sample("a red clip", seed), 0), (generator.Sample("a blue clip", seed), 1),
        }).ToList(), "generated");
        var (model, _) = Checkpoint.Load(Path.Combine(dir, "reference", ResultFiles.BestCheckpoint));
        var features = ClipFeatures.Extract(model, generated, CPU);
        var colours = string.Join("; ", generated.Clips.Select((_, i) => string.Join(",", TinyFixtures.MeanColour(Clip.FromTensor(generated.Pixels[i])).Select(v => v.ToString("F0")))));
        Assert.True(features.Accuracy(0) == 1.0 && features.Accuracy(1) == 1.0,
            $"reference predicted {string.Join(",", features.Predicted)} for red,blue pairs; mean RGB {colours}");
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
        var hash = FileHash.Short(resumed);
        Assert.Equal(hb.Loss, GeneratorTraining.PretrainOn(data, TinyFixtures.Config(pretrainSteps: 20), resumed, ["tiny"]));
        Assert.False(double.IsNaN(hb.Loss));
        Assert.Equal(hash, FileHash.Short(resumed));
    }

    [Fact]
    public void CheckpointRoundTripGivesTheSameModel()
    {
        var dir = TinyFixtures.TempDir();
        var path = Path.Combine(dir, "base.ckpt");
        GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(2), TinyFixtures.Config(pretrainSteps: 5), path, ["tiny"]);
        var (model, autoencoder, header) = Checkpoints.LoadBase(path);
        Assert.Equal(TinyFixtures.Model, header.Model);
        var (again, autoencoderAgain, _) = Checkpoints.LoadBase(path);
        using var _ = no_grad();
        var pixels = rand(new long[] { 2, 3, 4, 16, 16 }).Times(2).Minus(1);
        Assert.True(TinyFixtures.Same(autoencoder.Decode(autoencoder.Encode(pixels)), autoencoderAgain.Decode(autoencoderAgain.Encode(pixels))));
        var x = randn([2, .. TinyFixtures.Model.LatentShape]);
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
