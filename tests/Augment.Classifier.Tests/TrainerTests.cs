using Augment.Classifier;
using Augment.Data.Numerics;

namespace Augment.Tests.Classifier;

public class TrainerTests
{
    static ClassifierOptions Tiny(string model = "r2plus1d") => new()
    {
        Model = model, Width = 8, Depth = 2, Epochs = 4, BatchSize = 8, Patience = 10, Device = "cpu", Seed = 7,
    };

    [Theory]
    [InlineData("r2plus1d")]
    [InlineData("frame2d")]
    public void ModelOverfitsATinyBatch(string model)
    {
        using var clips = TinyClips.Make(perClass: 2, frames: 4, size: 16, seed: 1);
        var options = Tiny(model) with { Epochs = 25, Augment = false, LabelSmoothing = 0, WeightDecay = 0, WarmupEpochs = 0, Balance = "none", Patience = 100 };
        var result = ClassifierTrainer.Train(clips, clips, clips, TinyClips.RealOnly(clips), options, TinyClips.TempDir());

        Assert.True(result.History[^1].TrainLoss < 0.5 * result.History[0].TrainLoss,
            $"loss fell only from {result.History[0].TrainLoss} to {result.History[^1].TrainLoss}");
        Assert.Equal(1.0, result.History[^1].TrainAccuracy);
    }

    [Fact]
    public void SameSeedGivesIdenticalResultsOnCpu()
    {
        using var train = TinyClips.Make(3, 4, 16, seed: 1);
        using var val = TinyClips.Make(2, 4, 16, seed: 2, "val");
        TrainResult Run() => ClassifierTrainer.Train(train, val, val, TinyClips.RealOnly(train), Tiny() with { Epochs = 3 }, TinyClips.TempDir());

        var a = Run();
        var b = Run();
        Assert.Equal(a.History.Select(h => (h.TrainLoss, h.ValLoss, h.ValMacroF1)), b.History.Select(h => (h.TrainLoss, h.ValLoss, h.ValMacroF1)));
        Assert.Equal(a.Test.MacroF1, b.Test.MacroF1);
        Assert.Equal(a.Test.Confusion, b.Test.Confusion);
        var c = ClassifierTrainer.Train(train, val, val, TinyClips.RealOnly(train), Tiny() with { Epochs = 3, Seed = 8 }, TinyClips.TempDir());
        Assert.NotEqual(a.History[0].TrainLoss, c.History[0].TrainLoss);
    }

    /// <summary>A last.ckpt from before the optimizer became Augment's AdamW (format 1) is refused by name, not misread.</summary>
    [Fact]
    public void ACheckpointOfTheEarlierFormatIsRefusedWithWhatToDo()
    {
        var path = Path.Combine(TinyClips.TempDir(), ResultFiles.LastCheckpoint);
        using (var writer = new BinaryWriter(File.Create(path)))
        {
            writer.Write("AUGMENT-CLASSIFIER-CKPT-1");
            writer.Write("{}");
        }
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.ReadState(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("another version of Augment", e.Message);
        Assert.True(File.Exists(path), "the old checkpoint must be left as it was");
    }

    [Fact]
    public void ResumeContinuesFromTheCheckpointAndMatchesAnUninterruptedRun()
    {
        using var train = TinyClips.Make(3, 4, 16, seed: 1);
        using var val = TinyClips.Make(2, 4, 16, seed: 2, "val");
        var options = Tiny() with { Epochs = 4 };
        var whole = ClassifierTrainer.Train(train, val, val, TinyClips.RealOnly(train), options, TinyClips.TempDir());

        var dir = TinyClips.TempDir();
        using var cancel = new CancellationTokenSource();
        var stopAfterTwo = new SyncProgress(r => { if (r.Epoch == 2) cancel.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            ClassifierTrainer.Train(train, val, val, TinyClips.RealOnly(train), options, dir, stopAfterTwo, cancel.Token));
        Assert.Equal(2, Checkpoint.ReadState(Path.Combine(dir, ResultFiles.LastCheckpoint)).Epoch);

        var resumedEpochs = new List<int>();
        var resumed = ClassifierTrainer.Train(train, val, val, TinyClips.RealOnly(train), options with { Resume = true }, dir,
            new SyncProgress(r => resumedEpochs.Add(r.Epoch)));

        Assert.Equal([1, 2, 3, 4], resumedEpochs); // the restored epochs are reported again first, for listeners that missed one
        Assert.Equal([1, 2, 3, 4], resumed.History.Select(h => h.Epoch));
        Assert.Equal(whole.History.Select(h => (h.TrainLoss, h.ValLoss)), resumed.History.Select(h => (h.TrainLoss, h.ValLoss)));
        Assert.Equal(whole.Test.Confusion, resumed.Test.Confusion);
    }

    [Fact]
    public void IsolatedNonFiniteGradientIsSkippedCountedAndTrainingGoesOn()
    {
        using var train = TinyClips.Make(3, 4, 16, seed: 1);
        using var faults = StepGuard.InjectNonFiniteGradients("classifier training", step => step == 2);
        var result = ClassifierTrainer.Train(train, train, train, TinyClips.RealOnly(train), Tiny() with { Epochs = 3 }, TinyClips.TempDir());

        Assert.Equal(1, result.SkippedSteps);
        Assert.Equal([0, 1, 1], result.History.Select(h => h.SkippedSteps));
        Assert.All(result.History, h => Assert.True(double.IsFinite(h.TrainLoss) && double.IsFinite(h.ValLoss)));
    }

    [Fact]
    public void PersistentNonFiniteGradientsStopTrainingAndLeaveTheLastGoodWeights()
    {
        using var train = TinyClips.Make(2, 4, 16, seed: 1);
        // One step per epoch: epochs 1-2 train, then every step is poisoned.
        var options = Tiny() with { Epochs = 20, Patience = 100 };
        var dir = TinyClips.TempDir();

        NonFiniteTrainingException e;
        using (StepGuard.InjectNonFiniteGradients("classifier training", step => step >= 2))
            e = Assert.Throws<NonFiniteTrainingException>(() => ClassifierTrainer.Train(train, train, train, TinyClips.RealOnly(train), options, dir));

        Assert.Equal("classifier training", e.Stage);
        Assert.Equal(2 + StepGuard.MaxConsecutive - 1, e.Step);
        Assert.Equal("gradient norm", e.Tensor);
        Assert.Contains("in a row", e.Message);
        Assert.Equal(Path.Combine(dir, ResultFiles.LastCheckpoint), e.LastGoodCheckpoint);

        // The checkpoint holds exactly the weights of two clean epochs: no skipped step touched them.
        var clean = TinyClips.TempDir();
        ClassifierTrainer.Train(train, train, train, TinyClips.RealOnly(train), options with { Epochs = 2 }, clean);
        var (stopped, state) = Checkpoint.Load(e.LastGoodCheckpoint!);
        var (reference, _) = Checkpoint.Load(Path.Combine(clean, ResultFiles.LastCheckpoint));
        using (stopped)
        using (reference)
        {
            Assert.Equal(StepGuard.MaxConsecutive - 1, state.SkippedSteps);
            var a = stopped.state_dict();
            var b = reference.state_dict();
            foreach (var (name, value) in a) Assert.True(value.eq(b[name]).all().item<bool>(), $"{name} changed during skipped steps");
        }
    }

    [Fact]
    public void SyntheticClipsDoNotBuyExtraOptimizerSteps()
    {
        using var all = TinyClips.Make(3, 4, 16, seed: 1);
        var even = Enumerable.Range(0, all.Count).Where(i => i % 2 == 0).ToArray();
        using var realOnly = new ClipSet(all.Pixels.index_select(0, TorchSharp.torch.tensor(even.Select(i => (long)i).ToArray())),
            even.Select(i => all.Labels[i]).ToArray(), even.Select(i => all.Clips[i]).ToList(), all.Classes);
        // The same six real clips plus six marked as generated.
        using var mixed = new ClipSet(all.Pixels.clone(), all.Labels, all.Clips.Select((c, i) => i % 2 == 0 ? c : c with { Source = "medgen" }).ToList(), all.Classes);
        var options = Tiny() with { Epochs = 2, BatchSize = 4, Patience = 10 };

        var a = ClassifierTrainer.Train(realOnly, realOnly, realOnly, TinyClips.RealOnly(realOnly), options, TinyClips.TempDir());
        var b = ClassifierTrainer.Train(mixed, realOnly, realOnly, TinyClips.RealOnly(mixed), options, TinyClips.TempDir());

        Assert.Equal(2 * 2, a.Steps); // 2 epochs × ceil(6 real / 4)
        Assert.Equal(a.Steps, b.Steps);
    }

    [Fact]
    public void Bf16MixedComputesInBfloat16ButKeepsFloat32MasterWeights()
    {
        using var train = TinyClips.Make(3, 4, 16, seed: 1);
        var dir = TinyClips.TempDir();
        var mixed = ClassifierTrainer.Train(train, train, train, TinyClips.RealOnly(train), Tiny() with { Epochs = 3, Precision = "bf16-mixed" }, dir);
        var fp32 = ClassifierTrainer.Train(train, train, train, TinyClips.RealOnly(train), Tiny() with { Epochs = 3, Precision = "fp32" }, TinyClips.TempDir());

        Assert.All(mixed.History, e => Assert.True(double.IsFinite(e.TrainLoss) && double.IsFinite(e.ValLoss)));
        Assert.True(mixed.History[^1].TrainLoss < mixed.History[0].TrainLoss, "bf16-mixed training did not lower the loss");
        Assert.NotEqual(fp32.History[0].TrainLoss, mixed.History[0].TrainLoss); // the steps really ran in bfloat16
        var (model, state) = Checkpoint.Load(Path.Combine(dir, ResultFiles.LastCheckpoint));
        using (model)
        {
            Assert.Equal("float32", state.Precision);
            // The master weights hold what bfloat16's 8-bit mantissa would round away: updates were not lost.
            Assert.Contains(model.parameters(), p => p.dtype == TorchSharp.torch.ScalarType.Float32
                && !p.to(TorchSharp.torch.ScalarType.BFloat16).to(TorchSharp.torch.ScalarType.Float32).equal(p).all().item<bool>());
        }
    }

    /// <summary>Reports on the training thread (Progress&lt;T&gt; would post to the thread pool, too late to cancel).</summary>
    sealed class SyncProgress(Action<EpochReport> onReport) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => onReport(value);
    }
}
