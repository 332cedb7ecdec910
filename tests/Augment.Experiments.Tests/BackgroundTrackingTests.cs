using Augment.Data;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Tracking;

namespace Augment.Tests.Experiments;

/// <summary>
/// A file store whose calls, from the first cell run's StartRun on, wait until the test opens the gate (the sweep's
/// parent run is opened before that, on the caller's thread). Counts the gated calls that returned, and any call made
/// while another was still inside (the trackers are not thread-safe: the sweep must never do that).
/// </summary>
sealed class GatedTracker(IExperimentTracker inner) : IExperimentTracker
{
    readonly SemaphoreSlim gate = new(0);
    volatile bool closed, refusing;
    int returned, waiting, inside, overlaps;

    public int GatedCallsReturned => Volatile.Read(ref returned);
    public int CallsWaiting => Volatile.Read(ref waiting);
    public int CallsInside => Volatile.Read(ref inside);
    public int Overlaps => Volatile.Read(ref overlaps);

    /// <summary>Lets every waiting and later call through.</summary>
    public void Open() => gate.Release();

    /// <summary>Lets every waiting and later call fail, as a server that never comes back would.</summary>
    public void Refuse()
    {
        refusing = true;
        gate.Release();
    }

    T Call<T>(Func<T> call)
    {
        if (Interlocked.Increment(ref inside) > 1) Interlocked.Increment(ref overlaps);
        try
        {
            if (!closed) return call();
            // A hang guard, not a timing assert: a test that never opens the gate fails instead of hanging.
            Interlocked.Increment(ref waiting);
            var opened = gate.Wait(TimeSpan.FromMinutes(2));
            Interlocked.Decrement(ref waiting);
            if (!opened) throw new TimeoutException("the test never opened the gate");
            gate.Release();
            if (refusing) throw new IOException("the tracker refused the call");
            var result = call();
            Interlocked.Increment(ref returned);
            return result;
        }
        finally
        {
            Interlocked.Decrement(ref inside);
        }
    }

    void Call(Action call) => Call(() => { call(); return 0; });

    public string GetOrCreateExperiment(string name) => Call(() => inner.GetOrCreateExperiment(name));

    public TrackedRun StartRun(string experimentId, string runName, IReadOnlyDictionary<string, string> tags)
    {
        if (tags.GetValueOrDefault(SweepTracking.RoleTag) == "cell") closed = true;
        return Call(() => inner.StartRun(experimentId, runName, tags));
    }

    public IReadOnlyList<TrackedRun> FindRuns(string experimentId, string tagKey, string tagValue) =>
        Call(() => inner.FindRuns(experimentId, tagKey, tagValue));
    public void LogParams(string runId, IReadOnlyDictionary<string, string> parameters) => Call(() => inner.LogParams(runId, parameters));
    public void LogMetrics(string runId, IEnumerable<MetricPoint> metrics) => Call(() => inner.LogMetrics(runId, metrics.ToList()));
    public void SetTag(string runId, string key, string value) => Call(() => inner.SetTag(runId, key, value));
    public void LogArtifact(string runId, string localPath, string artifactDir = "") => Call(() => inner.LogArtifact(runId, localPath, artifactDir));
    public void EndRun(string runId, RunStatus status) => Call(() => inner.EndRun(runId, status));
}

/// <summary>Tracking runs on the sweep's own thread: training never waits on the tracker, and the cell's end waits for it.</summary>
public class BackgroundTrackingTests
{
    static readonly string[] EpochMetrics = ["train_loss", "train_accuracy", "val_loss", "val_macro_f1", "val_accuracy", "learning_rate", "skipped_steps"];

    // One real-only cell of 2 epochs.
    static (ExperimentConfig Config, SweepPlan Plan, GatedTracker Tracker) OneCell(string dir)
    {
        var config = TinySweep.Config(dir, "  real: {backend: none}", ratios: "[0]", seeds: "[0]");
        return (config, SweepPlanner.Plan(config), new GatedTracker(TinySweep.Tracker(config)));
    }

    static IReadOnlyList<StoredRun> Runs(ExperimentConfig config)
    {
        var reader = new FileStoreReader(Path.Combine(config.OutputDir, "mlruns"));
        return reader.Runs(reader.ExperimentByName(config.Experiment)!.ExperimentId);
    }

    [Fact]
    public void ACellTrainsEveryEpochWhileTheTrackerIsBlockedAndIsCountedDoneOnlyOnceItsRunIsComplete()
    {
        var dir = TinySweep.TempDir("bg-tracking");
        using var cleanup = new DeleteOnDispose(dir);
        var (config, plan, tracker) = OneCell(dir);
        var epochs = config.Classifier.Epochs;
        var returnedAtEpoch = new List<int>();
        RunStatus? runWhenCounted = null;

        var outcome = TinySweep.Runner(plan, tracker).Run(new SyncProgress<SweepProgress>(p =>
        {
            if (p.Stage.Contains(": epoch "))
            {
                returnedAtEpoch.Add(tracker.GatedCallsReturned);
                if (returnedAtEpoch.Count == epochs) tracker.Open(); // every epoch trained: let the tracker answer
            }
            if (p.CellFinished is not null) runWhenCounted = Assert.Single(Runs(config), r => r.Tags[SweepTracking.RoleTag] == "cell").Status;
        }));

        // Every epoch was trained (and reported) before the tracker answered the cell's first call.
        Assert.Equal(Enumerable.Repeat(0, epochs), returnedAtEpoch);
        Assert.True(outcome.Complete);
        Assert.True(outcome.TrackingComplete, string.Join("; ", outcome.Untracked));
        Assert.Equal(RunStatus.Finished, runWhenCounted);
        Assert.Equal(0, tracker.Overlaps);

        var runs = Runs(config);
        var cell = Assert.Single(runs, r => r.Tags[SweepTracking.RoleTag] == "cell");
        Assert.Equal(RunStatus.Finished, cell.Status);
        Assert.All(EpochMetrics, key => Assert.Equal([1L, 2L], cell.Metrics[key].Select(p => p.Step)));
        var history = AtomicFile.ReadJson<List<Augment.Classifier.EpochReport>>(Path.Combine(plan.Cells[0].Dir, "history.json"));
        Assert.Equal(history.Select(e => e.ValMacroF1), cell.Metrics["val_macro_f1"].Select(p => p.Value));
        Assert.Single(cell.Metrics["test_macro_f1"]);
        Assert.Equal(cell.RunId, CellResult.TryRead(plan.Cells[0].Dir)!.TrackingRunId);
        Assert.Equal(RunStatus.Finished, Assert.Single(runs, r => r.Tags[SweepTracking.RoleTag] == "sweep").Status);
    }

    [Fact]
    public void CancelledItEndsTheRunsKilledWhenTheTrackerAnswersAndStopsWithinTheBoundWhenItDoesNot()
    {
        var dir = TinySweep.TempDir("bg-cancel");
        using var cleanup = new DeleteOnDispose(dir);
        var (config, plan, tracker) = OneCell(dir);

        // Ctrl-C during epoch 1 with the tracker answering again: the queued calls are made, the cell's End(Killed) last.
        using (var cancel = new CancellationTokenSource())
        {
            var answered = TinySweep.Runner(plan, tracker).Run(new SyncProgress<SweepProgress>(p =>
            {
                if (!p.Stage.Contains(": epoch 1/")) return;
                cancel.Cancel();
                tracker.Open();
            }), cancel.Token);
            Assert.True(answered.Cancelled);
            Assert.Null(answered.TrackingError);
        }
        var runs = Runs(config);
        Assert.Equal(RunStatus.Killed, Assert.Single(runs, r => r.Tags[SweepTracking.RoleTag] == "cell").Status);
        Assert.Equal(RunStatus.Killed, Assert.Single(runs, r => r.Tags[SweepTracking.RoleTag] == "sweep").Status);
        Assert.Null(CellResult.TryRead(plan.Cells[0].Dir));

        // Cancelled again, tracked into a new store that stays blocked: the sweep stops once KillWait runs out, saying so.
        var store = Path.Combine(dir, "blocked-mlruns");
        var blocked = new GatedTracker(new FileStoreTracker(store));
        using (var cancel = new CancellationTokenSource())
        {
            var stuck = new SweepRunner(plan, blocked) { KillWait = TimeSpan.FromMilliseconds(200) }
                .Run(new SyncProgress<SweepProgress>(p =>
                {
                    if (!p.Stage.Contains(": epoch 1/")) return;
                    // The cell's StartRun is waiting at the gate before the sweep is cancelled: it is the call left in flight.
                    Assert.True(SpinWait.SpinUntil(() => blocked.CallsWaiting == 1, TimeSpan.FromMinutes(2)));
                    cancel.Cancel();
                }), cancel.Token);
            Assert.True(stuck.Cancelled);
            Assert.Contains("the tracker had not answered after 0.2 s", stuck.TrackingError);
        }
        // The call left in flight (the cell's StartRun) fails once let through; nothing queued after it is tried, so
        // the new store has the parent's run, still RUNNING, and no cell run: the next sweep repairs both.
        blocked.Refuse();
        Assert.True(SpinWait.SpinUntil(() => blocked.CallsInside == 0, TimeSpan.FromMinutes(2)));
        var reader = new FileStoreReader(store);
        var left = Assert.Single(reader.Runs(reader.ExperimentByName(config.Experiment)!.ExperimentId));
        Assert.Equal(("sweep", RunStatus.Running), (left.Tags[SweepTracking.RoleTag], left.Status));
        Assert.Equal(0, tracker.Overlaps + blocked.Overlaps);
    }

    [Fact]
    public void CtrlCWhileACellWaitsForItsTrackerStopsWithinTheBoundAndTheNextSweepBackfillsIt()
    {
        var dir = TinySweep.TempDir("bg-cancel-drain");
        using var cleanup = new DeleteOnDispose(dir);
        var (config, plan, tracker) = OneCell(dir);
        using var cancel = new CancellationTokenSource();
        var sweep = Task.Run(() => new SweepRunner(plan, tracker) { KillWait = TimeSpan.FromMilliseconds(200) }.Run(cancel: cancel.Token));
        // The cell has trained and written result.json; its run's calls are still queued behind the blocked StartRun.
        var resultPath = Path.Combine(plan.Cells[0].Dir, CellResult.FileName);
        Assert.True(SpinWait.SpinUntil(() => File.Exists(resultPath), TimeSpan.FromMinutes(2)));
        cancel.Cancel();
        Assert.True(sweep.Wait(TimeSpan.FromMinutes(2)), "the cancelled sweep kept waiting for its tracker");
        Assert.True(sweep.Result.Cancelled);
        Assert.Equal(0, sweep.Result.Finished);
        Assert.Contains("had not answered", sweep.Result.TrackingError);
        Assert.Equal(CellStatus.Finished, CellResult.TryRead(plan.Cells[0].Dir)!.Status);
        tracker.Refuse();
        Assert.True(SpinWait.SpinUntil(() => tracker.CallsInside == 0, TimeSpan.FromMinutes(2)));

        // The finished cell is reused and its run backfilled, complete.
        var next = TinySweep.Runner(plan, TinySweep.Tracker(config)).Run();
        Assert.Equal(1, next.Skipped);
        Assert.True(next.TrackingComplete, string.Join("; ", next.Untracked));
        var run = Assert.Single(Runs(config), r => r.Tags[SweepTracking.RoleTag] == "cell");
        Assert.Equal(RunStatus.Finished, run.Status);
        Assert.Equal([1L, 2L], run.Metrics["val_macro_f1"].Select(p => p.Step));
        Assert.Equal(run.RunId, CellResult.TryRead(plan.Cells[0].Dir)!.TrackingRunId);
    }
}
