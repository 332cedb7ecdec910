using Augment.Data;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Tracking;
using Augment.Tests.Experiments.Tracking;

namespace Augment.Tests.Experiments;

/// <summary>
/// A two-cell sweep whose tracking server goes down for good during the first cell's training; then the same output
/// folder run again with the server back, once more with nothing to do, then pointed at a new server and at a new file store.
/// </summary>
public sealed class OutageSweep : IDisposable
{
    public ExperimentConfig Config { get; }
    public SweepPlan Plan { get; }
    public FakeMlflowServer Server { get; } = new();
    public FakeMlflowServer NewServer { get; } = new();
    public string NewStore { get; }
    public SweepOutcome DuringOutage { get; }
    public SweepOutcome Backfilled { get; }
    public SweepOutcome NothingToDo { get; }
    public SweepOutcome OnNewServer { get; }
    public SweepOutcome OnNewStore { get; }
    public IReadOnlyList<string> RequestsWhenNothingToDo { get; }
    /// <summary>The val_macro_f1 steps of each cell run the server held when the outage sweep ended, by run id.</summary>
    public IReadOnlyDictionary<string, List<long>> EpochsTrackedDuringOutage { get; }
    /// <summary>Each cell's result.json TrackingRunId when the outage sweep ended.</summary>
    public IReadOnlyList<string?> RunIdsAfterOutage { get; }

    public static IEnumerable<FakeMlflowServer.Run> CellRuns(FakeMlflowServer server) =>
        server.Runs.Where(r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "cell");

    static MlflowRestTracker Rest(FakeMlflowServer server) => new(server.Uri.ToString(),
        new MlflowRestOptions { MaxRetries = 2, BackoffFactor = TimeSpan.FromMilliseconds(1), RequestTimeout = TimeSpan.FromSeconds(10) });

    public OutageSweep()
    {
        var dir = TinySweep.TempDir("sweep-outage");
        Config = TinySweep.Config(dir, "  real: {backend: none}", ratios: "[0]", seeds: "[0, 1]");
        Plan = SweepPlanner.Plan(Config);
        NewStore = Path.Combine(dir, "new-mlruns");

        // The first cell's run gets its params, tags and epoch 1; every call after that fails (the calls are made on the
        // sweep's tracking thread, so the server, not the training's progress, decides where the outage starts).
        Server.DownAfterMetricBatches = 1;
        using (var tracker = Rest(Server)) DuringOutage = TinySweep.Runner(Plan, tracker).Run();
        EpochsTrackedDuringOutage = CellRuns(Server)
            .ToDictionary(r => r.RunId, r => r.Metrics.Where(m => m.Key == "val_macro_f1").Select(m => m.Step).ToList());
        RunIdsAfterOutage = Plan.Cells.Select(c => CellResult.TryRead(c.Dir)!.TrackingRunId).ToList();
        Server.DownAfterMetricBatches = null;
        Server.UnavailableUntil = DateTime.MinValue;
        using (var tracker = Rest(Server)) Backfilled = TinySweep.Runner(Plan, tracker).Run();
        var before = Server.Requests.Count;
        using (var tracker = Rest(Server)) NothingToDo = TinySweep.Runner(Plan, tracker).Run();
        RequestsWhenNothingToDo = Server.Requests.Skip(before).ToList();
        using (var tracker = Rest(NewServer)) OnNewServer = TinySweep.Runner(Plan, tracker).Run();
        OnNewStore = TinySweep.Runner(Plan, new FileStoreTracker(NewStore)).Run();
    }

    public void Dispose()
    {
        Server.Dispose();
        NewServer.Dispose();
        Directory.Delete(Path.GetDirectoryName(Config.SourcePath)!, recursive: true);
    }
}

public class SweepTrackingOutageTests(OutageSweep sweep) : IClassFixture<OutageSweep>
{
    [Fact]
    public void AnOutageFailsNoTrainedCellAndTheReportIsWritten()
    {
        var outcome = sweep.DuringOutage;
        Assert.Equal(2, outcome.Finished);
        Assert.Equal(0, outcome.Failed);
        Assert.NotNull(outcome.ReportHtml);
        Assert.All(sweep.Plan.Cells, c => Assert.Equal(CellStatus.Finished, CellResult.TryRead(c.Dir)!.Status));
        foreach (var file in new[] { "metrics.json", "predictions.csv", "history.json" })
            Assert.All(sweep.Plan.Cells, c => Assert.True(File.Exists(Path.Combine(c.Dir, file)), $"{c.Key}: no {file}"));

        Assert.False(outcome.TrackingComplete);
        Assert.Equal(sweep.Plan.Cells.Select(c => c.Key).Order(), outcome.Untracked.Keys.Order());
        Assert.All(outcome.Untracked.Values, why => Assert.Contains("503", why));
        // The parent is not closed while its children are untracked (the backfilling run closes it), so no update was tried.
        Assert.Null(outcome.TrackingError);
        // The first cell's run stopped after epoch 1 (the backfill continues it); the second cell got none.
        var (partial, epochs) = Assert.Single(sweep.EpochsTrackedDuringOutage);
        Assert.Equal([1L], epochs);
        // result.json names the run once the cell's queued calls are done, and no run where StartCell never went through.
        Assert.Equal([partial, null], sweep.RunIdsAfterOutage);
    }

    [Fact]
    public void TheNextRunBackfillsWhatTheServerLacksWithoutDuplicates()
    {
        Assert.Equal(2, sweep.Backfilled.Skipped);
        Assert.True(sweep.Backfilled.TrackingComplete, string.Join("; ", sweep.Backfilled.Untracked));
        Assert.Null(sweep.Backfilled.TrackingError);
        AssertTracked(sweep.Server);
        Assert.Empty(sweep.Server.Violations);
    }

    [Fact]
    public void ACompleteTrackerGetsNothingLoggedAgain()
    {
        Assert.True(sweep.NothingToDo.TrackingComplete);
        Assert.DoesNotContain(sweep.RequestsWhenNothingToDo, r => r.Contains("log-batch") || r.StartsWith("PUT") || r.Contains("runs/create"));
        AssertTracked(sweep.Server);
    }

    [Fact]
    public void AFinishedOutputPointedAtANewServerBackfillsEveryCellIntoTheNewParent()
    {
        Assert.True(sweep.OnNewServer.TrackingComplete, string.Join("; ", sweep.OnNewServer.Untracked));
        Assert.Equal(2, sweep.OnNewServer.Skipped);
        AssertTracked(sweep.NewServer);
        // Backfilled runs leave git_commit out: the commit that trained them is not recorded locally.
        Assert.All(sweep.NewServer.Runs.Where(r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "cell"),
            r => Assert.False(r.Params.ContainsKey("git_commit")));
    }

    [Fact]
    public void AFileStoreIsBackfilledTheSameWay()
    {
        Assert.True(sweep.OnNewStore.TrackingComplete, string.Join("; ", sweep.OnNewStore.Untracked));
        var reader = new FileStoreReader(sweep.NewStore);
        var runs = reader.Runs(reader.ExperimentByName(sweep.Config.Experiment)!.ExperimentId);
        var parent = Assert.Single(runs, r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "sweep");
        Assert.Equal(RunStatus.Finished, parent.Status);
        var cells = runs.Where(r => r.RunId != parent.RunId).ToList();
        Assert.Equal(sweep.Plan.Cells.Count, cells.Count);
        foreach (var run in cells)
        {
            var result = ResultOf(run.Tags[SweepTracking.CellTag]);
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal(run.RunId, result.TrackingRunId); // the last backfill's run: this store's
            Assert.Equal(parent.RunId, run.Tags[SweepTracking.ParentTag]);
            Assert.Equal([1L, 2L], run.Metrics["val_macro_f1"].Select(p => p.Step));
            Assert.Equal(result.MacroF1, Assert.Single(run.Metrics["test_macro_f1"]).Value, 6);
            Assert.Equal("demo", run.Params["dataset"]);
            foreach (var file in SweepTracking.CellArtifacts.Where(f => f != "mix.json"))
                Assert.True(File.Exists(Path.Combine(run.ArtifactDirectory!, file)), $"{run.RunName}: no artifact {file}");
        }
    }

    CellResult ResultOf(string cellTag) => CellResult.TryRead(sweep.Plan.Cells.Single(c => cellTag.EndsWith(":" + c.Key)).Dir)!;

    void AssertTracked(FakeMlflowServer server)
    {
        var runs = server.Runs;
        var parent = Assert.Single(runs, r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "sweep");
        Assert.Equal("FINISHED", parent.Status);
        var cells = runs.Where(r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "cell").ToList();
        Assert.Equal(sweep.Plan.Cells.Count, cells.Count);
        Assert.Equal(cells.Count, cells.Select(r => r.Tags[SweepTracking.CellTag]).Distinct().Count());
        foreach (var run in cells)
        {
            var result = ResultOf(run.Tags[SweepTracking.CellTag]);
            Assert.Equal("FINISHED", run.Status);
            Assert.Equal(parent.RunId, run.Tags[SweepTracking.ParentTag]);
            Assert.Equal([1L, 2L], run.Metrics.Where(m => m.Key == "val_macro_f1").Select(m => m.Step));
            Assert.Equal(result.MacroF1, Assert.Single(run.Metrics, m => m.Key == "test_macro_f1").Value, 6);
            Assert.Equal("demo", run.Params["dataset"]);
            foreach (var file in new[] { "metrics.json", "predictions.csv", "confusion.png", "curves.png" })
                Assert.Contains($"{run.ExperimentId}/{run.RunId}/artifacts/{file}", server.ArtifactPaths);
        }
    }
}

public class SweepRunRepairTests
{
    [Fact]
    public void RunsADeadProcessLeftRunningEndFinishedOrFailedAsTheirCellsDid()
    {
        var dir = TinySweep.TempDir("sweep-repair");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, TinySweep.BrokenImportGenerators, ratios: "[0, 1]", seeds: "[0]");
        var plan = SweepPlanner.Plan(config);
        var first = TinySweep.Runner(plan, TinySweep.Tracker(config)).Run();
        Assert.Equal(1, first.Finished);
        Assert.Equal(1, first.Failed);

        // What a process killed at the wrong moment leaves: the finished cell's run not closed (killed between result.json
        // and runs/update), and a run for the failing cell that was never ended.
        var store = TinySweep.Tracker(config);
        var experimentId = store.GetOrCreateExperiment(config.Experiment);
        var done = plan.Cells.Single(c => c.IsRealOnly);
        var doneRun = CellResult.TryRead(done.Dir)!.TrackingRunId!;
        var meta = Path.Combine(store.Root, experimentId, doneRun, "meta.yaml");
        File.WriteAllText(meta, File.ReadAllText(meta).Replace($"status: {(int)RunStatus.Finished}", $"status: {(int)RunStatus.Running}"));
        var broken = plan.Cells.Single(c => c.Generator == "broken");
        var leftRunning = new SweepTracking(store, config.Experiment, plan.SweepKey, "sweep", new Dictionary<string, string>(), new Dictionary<string, string>())
            .StartCell(broken, new Dictionary<string, string> { ["dataset"] = "demo" }, "a-print", new Dictionary<string, string>());

        var second = TinySweep.Runner(plan, TinySweep.Tracker(config)).Run();
        Assert.True(second.TrackingComplete, string.Join("; ", second.Untracked));
        var reader = new FileStoreReader(store.Root);
        var finished = reader.Run(doneRun);
        Assert.Equal(RunStatus.Finished, finished.Status);
        Assert.Equal([1L, 2L], finished.Metrics["val_macro_f1"].Select(p => p.Step)); // nothing logged twice
        Assert.Single(finished.Metrics["test_macro_f1"]);
        Assert.Equal(RunStatus.Failed, reader.Run(leftRunning).Status);
    }
}
