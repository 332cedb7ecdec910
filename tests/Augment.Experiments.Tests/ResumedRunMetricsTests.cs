using Augment.Classifier;
using Augment.Experiments.Sweep;
using Augment.Tracking;
using Augment.Tests.Classifier;

namespace Augment.Tests.Experiments;

public class ResumedRunMetricsTests
{
    sealed class SyncProgress(Action<EpochReport> onReport) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => onReport(value);
    }

    [Fact]
    public void AnEpochTrainedButNeverLoggedIsLoggedWhenTheCellResumesAndNoneTwice()
    {
        using var train = TinyClips.Make(3, 4, 16, seed: 1);
        using var val = TinyClips.Make(2, 4, 16, seed: 2, "val");
        var options = new ClassifierOptions { Width = 8, Depth = 2, Epochs = 4, BatchSize = 8, Patience = 10, Device = "cpu", Seed = 7 };
        var dir = TinyClips.TempDir();
        var store = Path.Combine(dir, "mlruns");
        var cell = new CellPlan("demo/real/r0/s0", "demo", null, 0, 0, Path.Combine(dir, "cell"));
        SweepTracking Open() => new(new FileStoreTracker(store), "exp", "sweep1", "sweep", new Dictionary<string, string>(), new Dictionary<string, string>());

        // The first process logs epoch 1, then dies after epoch 2's last.ckpt and before logging epoch 2.
        var first = Open();
        var runId = first.StartCell(cell, new Dictionary<string, string>(), "print", new Dictionary<string, string>());
        using (var cancel = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => ClassifierTrainer.Train(train, val, val, TinyClips.RealOnly(train), options, cell.Dir,
                new SyncProgress(e => { if (e.Epoch == 1) first.LogEpoch(runId, e); else cancel.Cancel(); }), cancel.Token));

        var second = Open();
        Assert.Equal(runId, second.StartCell(cell, new Dictionary<string, string>(), "print", new Dictionary<string, string>()));
        ClassifierTrainer.Train(train, val, val, TinyClips.RealOnly(train), options with { Resume = true }, cell.Dir,
            new SyncProgress(e => second.LogEpoch(runId, e)));

        var run = new FileStoreReader(store).Run(runId);
        Assert.Equal([1L, 2L, 3L, 4L], run.Metrics["val_macro_f1"].Select(p => p.Step));
    }
}
