using Augment.Data;
using Augment.Data.Numerics;
using Augment.Generator;
using Augment.Generator.Models.Native;
using Augment.Generator.Training;

namespace Augment.Tests.Generator;

/// <summary>Poisoned gradients in the generator's training loops: isolated ones are skipped, persistent ones stop.</summary>
public class NonFiniteTrainingTests
{
    [Fact]
    public void PretrainingSkipsAnIsolatedNonFiniteStepAndRecordsIt()
    {
        var path = Path.Combine(TinyFixtures.TempDir(), "base.ckpt");
        var config = TinyFixtures.Config(pretrainSteps: 10);
        using var autoencoderFaults = StepGuard.InjectNonFiniteGradients("video autoencoder training", step => step is 2 or 5);
        using var pretrainFaults = StepGuard.InjectNonFiniteGradients("generator pretraining", step => step == 3);
        var loss = GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(2), config, path, ["tiny"]);

        var (header, tensors) = TensorArchive.Read<BaseHeader>(path);
        Assert.Equal(10, header.Step);
        Assert.Equal(1, header.SkippedSteps);
        Assert.Equal(2, TensorArchive.ReadHeader<AutoencoderHeader>(GeneratorTraining.AutoencoderPath(path)).SkippedSteps);
        Assert.True(double.IsFinite(loss));
        Assert.All(tensors, t => Assert.Equal(0, NonFinite.Count(t.Value)));
    }

    [Fact]
    public void PersistentNonFinitePretrainingStopsAndLeavesTheLastCheckpoint()
    {
        var dir = TinyFixtures.TempDir();
        var data = TinyFixtures.RedBlue(2);
        var path = Path.Combine(dir, "base.ckpt");
        var config = TinyFixtures.Config(pretrainSteps: 40); // checkpoints every 10 steps
        NonFiniteTrainingException e;
        using (StepGuard.InjectNonFiniteGradients("generator pretraining", step => step >= 12))
            e = Assert.Throws<NonFiniteTrainingException>(() => GeneratorTraining.PretrainOn(data, config, path, ["tiny"]));
        Assert.Equal("generator pretraining", e.Stage);
        Assert.Equal(12 + StepGuard.MaxConsecutive - 1, e.Step);
        Assert.Equal(path, e.LastGoodCheckpoint);

        // On disk: the step-10 checkpoint, equal to a clean 10-step run.
        var clean = Path.Combine(dir, "clean.ckpt");
        GeneratorTraining.PretrainOn(data, TinyFixtures.Config(pretrainSteps: 10), clean, ["tiny"]);
        var (header, kept) = TensorArchive.Read<BaseHeader>(path);
        var (_, reference) = TensorArchive.Read<BaseHeader>(clean);
        Assert.Equal(10, header.Step);
        foreach (var (name, value) in reference) Assert.True(TinyFixtures.Same(value, kept[name]), $"{name} differs from the clean run");
    }

    [Fact]
    public void PersistentNonFiniteAdaptationStopsAndNeverTouchesTheBase()
    {
        var dir = TinyFixtures.TempDir();
        var basePath = Path.Combine(dir, "base.ckpt");
        GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(2), TinyFixtures.Config(pretrainSteps: 10), basePath, ["tiny"]);
        var baseHash = FileHash.Short(basePath);
        var trained = Checkpoints.LoadBase(basePath, ema: false);
        var config = TinyFixtures.Config();
        var adapter = Path.Combine(dir, "green.lora");
        var green = TrainingSet.FromClips(Enumerable.Range(0, 4).Select(i => (TinyFixtures.Coloured(40, 220, 40, i), "green", "a green clip")).ToList(), TinyFixtures.Model);

        using var faults = StepGuard.InjectNonFiniteGradients("LoRA adaptation", _ => true);
        var e = Assert.Throws<NonFiniteTrainingException>(() =>
            GeneratorTraining.AdaptOn(trained, green, config, baseHash, adapter, "green"));
        Assert.Equal("LoRA adaptation", e.Stage);
        Assert.Equal(StepGuard.MaxConsecutive - 1, e.Step);
        Assert.Null(e.LastGoodCheckpoint);
        Assert.Contains("No checkpoint had been written yet", e.Message);
        Assert.False(File.Exists(adapter));
        Assert.Equal(baseHash, FileHash.Short(basePath));
    }
}
