using System.Diagnostics;
using System.Text.RegularExpressions;
using Augment.Evaluation.Quality;
using Augment.Cli.Commands;
using Augment.Experiments.Cluster;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Tracking;

namespace Augment.Tests.Experiments;

/// <summary>Stage claims and the Slurm submission graph, without a cluster.</summary>
public class ClusterTests
{
    [Fact]
    public void AClaimExcludesOtherWorkersUntilReleasedOrItsHolderStopsRefreshingIt()
    {
        var dir = TinySweep.TempDir("claims");
        using var cleanup = new DeleteOnDispose(dir);
        var a = new StageClaims(dir, "a", TimeSpan.FromSeconds(2));
        var b = new StageClaims(dir, "b", TimeSpan.FromSeconds(2));
        using (var held = a.TryTake("cell x"))
        {
            Assert.NotNull(held);
            Assert.Null(b.TryTake("cell x"));
            Assert.NotNull(b.TryTake("cell y")); // other stages are free
            Assert.Equal("a", Assert.Single(b.Active(), c => c.Stage == "cell x").Worker);
        }
        using (var afterRelease = b.TryTake("cell x")) Assert.NotNull(afterRelease);

        // A dead holder: its claim is never refreshed again (a 4 h expiry refreshes every hour), so it expires for b.
        var dead = new StageClaims(dir, "dead", TimeSpan.FromHours(4)).TryTake("cell z")!;
        Assert.Null(b.TryTake("cell z"));
        foreach (var f in Directory.GetFiles(Path.Combine(dir, "claims"), "*.json")) File.SetLastWriteTimeUtc(f, DateTime.UtcNow.AddMinutes(-10));
        using (var takenOver = b.TryTake("cell z")) Assert.NotNull(takenOver);
        // The same worker (a requeued Slurm task keeps its name) takes its own claim back at once.
        using var first = new StageClaims(dir, "slurm-7_1", TimeSpan.FromHours(1)).TryTake("cell w");
        using var again = new StageClaims(dir, "slurm-7_1", TimeSpan.FromHours(1)).TryTake("cell w");
        Assert.NotNull(again);
        GC.KeepAlive(dead);
    }

    [Fact]
    public void AClaimWhoseProcessOnThisHostHasExitedIsFreeAtOnce()
    {
        var dir = TinySweep.TempDir("deadpid");
        using var cleanup = new DeleteOnDispose(dir);
        using var exited = Process.Start(new ProcessStartInfo("true"))!;
        exited.WaitForExit();
        WriteClaim(dir, "cell x", "killed-worker", exited.Id);
        WriteClaim(dir, "cell y", "live-worker", Environment.ProcessId);
        var b = new StageClaims(dir, "b"); // a 2 min expiry: both claims were refreshed just now
        Assert.Equal("live-worker", Assert.Single(b.Active()).Worker);
        using (var taken = b.TryTake("cell x")) Assert.NotNull(taken);
        Assert.Null(b.TryTake("cell y"));
    }

    [Fact]
    public void AGridWithACellHeldElsewhereExitsNonZeroWithoutAReport()
    {
        var dir = TinySweep.TempDir("heldcell");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, "  real: {backend: none}", ratios: "[0]", seeds: "[0, 1]");
        var plan = SweepPlanner.Plan(config);
        var held = $"cell {plan.Cells[1].Key}";
        WriteClaim(config.OutputDir, held, "other-worker", Environment.ProcessId);
        int Sweep(out string output)
        {
            var (code, o) = CliCapture.Run(() => new System.CommandLine.RootCommand { SweepCommand.Create() }.Parse(["sweep", config.SourcePath]).Invoke());
            output = o;
            return code;
        }
        Assert.Equal(SweepCommand.GridIncomplete, Sweep(out var first));
        Assert.Contains("The grid is not finished: 1 cell(s) are held by other live workers", first);
        Assert.False(File.Exists(Path.Combine(config.OutputDir, "report", "report.html")));
        // The holder is killed (its pid is gone): the next run takes the cell at once and completes the grid.
        using var exited = Process.Start(new ProcessStartInfo("true"))!;
        exited.WaitForExit();
        WriteClaim(config.OutputDir, held, "other-worker", exited.Id);
        Assert.Equal(SweepCommand.Ok, Sweep(out var second));
        Assert.True(File.Exists(Path.Combine(config.OutputDir, "report", "report.html")), second);

        // --force for Slurm tasks (which are not told to force): the forced stages are retired before submission, so
        // each task finds its cell undone and runs it once, however often it is requeued.
        var loaded = SweepRunner.LoadExisting(config);
        var retired = SweepRunner.RetireForced(plan, SweepRunner.Preview(plan, new HashSet<StageKind> { StageKind.Cell }, loaded), loaded);
        Assert.Equal(plan.Cells.Select(c => c.Stage), retired);
        Assert.All(plan.Cells, c => Assert.False(Directory.Exists(c.Dir)));
        var after = SweepRunner.Preview(plan, new HashSet<StageKind>());
        Assert.All(after.Where(d => d.Kind == StageKind.Cell), d => Assert.Equal(StageAction.Run, d.Action));
        Assert.All(after.Where(d => d.Kind != StageKind.Cell), d => Assert.Equal(StageAction.Reuse, d.Action));
    }

    static void WriteClaim(string outputDir, string stage, string worker, int pid)
    {
        var claims = Path.Combine(outputDir, "claims");
        Directory.CreateDirectory(claims);
        File.WriteAllText(Path.Combine(claims, SweepPlanner.ShortHash(stage) + ".json"), System.Text.Json.JsonSerializer.Serialize(
            new ClaimInfo(stage, worker, Environment.MachineName, pid, DateTimeOffset.UtcNow), global::Augment.Data.AtomicFile.Json));
    }

    [Fact]
    public void OfManyWorkersRacingForOneStageExactlyOneWins()
    {
        var dir = TinySweep.TempDir("race");
        using var cleanup = new DeleteOnDispose(dir);
        using var start = new Barrier(8);
        var won = new Claim?[8];
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            start.SignalAndWait();
            won[i] = new StageClaims(dir, $"w{i}").TryTake("generation demo/medgen/s0");
        });
        Assert.Single(won, c => c is not null);
        foreach (var c in won) c?.Dispose();
    }

    static (ExperimentConfig Config, string Dir) SlurmConfig(string name, int maxParallel = 2)
    {
        var dir = TinySweep.TempDir(name);
        var config = TinySweep.Config(dir, TinySweep.NativeGenerators, ratios: "[0, 1]", seeds: "[0]") with
        {
            Executor = Executor.Slurm,
            Slurm = new SlurmSettings { MaxParallel = maxParallel, Partition = "gpu", Setup = "module load cuda", Cells = new SlurmResources(Gres: "gpu:1", Cpus: 4) },
        };
        return (config, dir);
    }

    [Fact]
    public void TheSubmissionGraphChainsGeneratorsCellsAndReportAndResubmitsOnlyWhatIsLeft()
    {
        var (config, dir) = SlurmConfig("graph");
        using var cleanup = new DeleteOnDispose(dir);
        var plan = SweepPlanner.Plan(config);
        var calls = new List<IReadOnlyList<string>>();
        int nextId = 100;
        string Fake(string command, IReadOnlyList<string> args)
        {
            Assert.Equal("sbatch", command);
            calls.Add(args);
            return $"{nextId++};cluster\n";
        }
        var slurm = new SlurmExecutor(config, Fake);

        var submission = slurm.Submit(plan, SweepRunner.Preview(plan, new HashSet<StageKind>()));
        Assert.Equal(4, calls.Count);
        Assert.DoesNotContain(calls[0], a => a.StartsWith("--dependency"));
        // The real-only cell needs no generated clip: its array starts at once; the augmented cells wait for the generators.
        Assert.DoesNotContain(calls[1], a => a.StartsWith("--dependency"));
        Assert.Contains("--array=0%2", calls[1]);
        Assert.Contains("--dependency=afterany:100", calls[2]);
        Assert.Contains("--array=1,2%2", calls[2]);
        Assert.Contains("--dependency=afterany:100:101:102", calls[3]);
        Assert.Equal(["0", "1", "2"], submission.Cells.Select(c => c.ToString()));
        var cells = File.ReadAllText(calls[1][^1]);
        foreach (var line in new[] { "#SBATCH --gres=gpu:1", "#SBATCH --cpus-per-task=4", "#SBATCH --partition=gpu", "#SBATCH --requeue", "module load cuda" })
            Assert.Contains(line, cells);
        Assert.Matches(@"sweep worker \S+experiments\.yaml --cell ""\$SLURM_ARRAY_TASK_ID"" --output ", cells);
        Assert.Contains("%x-%A_%a.out", cells);

        // Generators done, cells 0 and 2 done, cell 1 failed: only cell 1 and the report are submitted.
        var decisions = SweepRunner.Preview(plan, new HashSet<StageKind>())
            .Select(d => d.Stage == $"cell {plan.Cells[1].Key}" ? d with { Action = StageAction.Resume } : d with { Action = StageAction.Reuse }).ToList();
        var jobs = slurm.Graph(plan, decisions, out var left);
        Assert.Equal([1], left);
        Assert.Equal(2, jobs.Count);
        Assert.Empty(jobs[0].After);
        Assert.Equal("1%2", jobs[0].Array);
        Assert.Equal([jobs[0].Name], jobs[1].After);

        // After `scancel` of task 1, squeue lists only task 2 of the array: task 1 is not "queued" inside the others' job.
        var cellsJob = SlurmExecutor.JobName(plan, SlurmExecutor.Cells);
        var queue = new[] { ("102_2", cellsJob, "RUNNING") };
        var afterCancel = SweepStatusCommand.States(plan, queue, SweepRunner.LoadExisting(config)).ToDictionary(x => x.Stage);
        Assert.Equal("to do", afterCancel[$"cell {plan.Cells[1].Key}"].State);
        Assert.Equal("queued", afterCancel[$"cell {plan.Cells[2].Key}"].State);
        Assert.True(SlurmExecutor.TaskQueued([("102_[3-5,9%2]", cellsJob, "PENDING")], cellsJob, 4));
        Assert.False(SlurmExecutor.TaskQueued([("102_[3-5,9%2]", cellsJob, "PENDING")], cellsJob, 6));

        // Status: a stage a worker holds is running (and by whom); the rest, with nothing run yet, are to do.
        using (new StageClaims(config.OutputDir, "slurm-101_0").TryTake($"cell {plan.Cells[0].Key}"))
        {
            var states = SweepStatusCommand.States(plan, [], SweepRunner.LoadExisting(config)).ToDictionary(x => x.Stage);
            Assert.Equal("running", states[$"cell {plan.Cells[0].Key}"].State);
            Assert.StartsWith("slurm-101_0", states[$"cell {plan.Cells[0].Key}"].Detail);
            Assert.Equal("to do", states[$"cell {plan.Cells[1].Key}"].State);
        }

        // Everything done and reported: nothing to submit.
        Directory.CreateDirectory(plan.ReportDir);
        File.WriteAllText(Path.Combine(plan.ReportDir, "report.html"), "");
        Assert.Empty(slurm.Graph(plan, decisions.Select(d => d with { Action = StageAction.Reuse }).ToList(), out _));
    }

    [Fact]
    public void ASweepWithJobsStillQueuedIsNotSubmittedTwice()
    {
        var (config, dir) = SlurmConfig("queued");
        using var cleanup = new DeleteOnDispose(dir);
        var plan = SweepPlanner.Plan(config);
        var slurm = new SlurmExecutor(config, (command, _) => command == "squeue"
            ? $"7_[1-2%2] augment-{plan.SweepKey}-cells PENDING\n7_0 augment-{plan.SweepKey}-cells RUNNING\n9 augment-otherkey00-cells PENDING\n" : "");
        var queued = slurm.Queued(plan);
        Assert.Equal(2, queued.Count);
        Assert.All(queued, q => Assert.EndsWith("-cells", q.Name));
    }

    [Fact]
    public void TwoWorkerProcessesShareAGridRunEveryStageOnceAndMatchOneProcess()
    {
        var dir = TinySweep.TempDir("workers");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, TinySweep.NativeGenerators, ratios: "[0, 0.5, 1]", seeds: "[0]");
        var workers = Enumerable.Range(0, 2).Select(i => Augment(["sweep", "worker", config.SourcePath, "--index", $"{i}", "--count", "2"])).ToList();
        var outputs = workers.Select(Finish).ToList();

        var plan = SweepPlanner.Plan(config);
        Assert.All(plan.Cells, c => Assert.Equal(CellStatus.Finished, CellResult.TryRead(c.Dir)!.Status));
        // Each cell was trained by exactly one of them, and no stage was redone (nothing was moved aside as stale).
        Assert.Equal(plan.Cells.Count, outputs.Sum(o => int.Parse(Regex.Match(o, @"Cells: (\d+) run now").Groups[1].Value)));
        Assert.False(Directory.Exists(Path.Combine(config.OutputDir, "stale")));
        Assert.Empty(Directory.GetFiles(Path.Combine(config.OutputDir, "claims"), "*.json"));
        // One parent run and one run per cell, however the two interleaved (the file store took concurrent writers).
        var reader = new FileStoreReader(Path.Combine(config.OutputDir, "mlruns"));
        var runs = reader.Runs(reader.ExperimentByName(config.Experiment)!.ExperimentId);
        Assert.Equal(plan.Cells.Count + 1, runs.Count);
        Assert.All(runs, r => Assert.Equal(RunStatus.Finished, r.Status));
        // Each generation's quality was measured by one of them: the parent holds one point per generation (step = seed).
        var parent = Assert.Single(runs, r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "sweep");
        var quality = parent.Metrics.Where(m => m.Key.StartsWith("gen/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(quality);
        Assert.All(quality, m => Assert.Equal(m.Value.Select(p => p.Step).Distinct().Count(), m.Value.Count));
        // A generation whose measurement another worker holds is left to it, and measured once the claim is gone.
        var measuredFile = Path.Combine(plan.Generations[0].GatingDir, QualityReport.FileName);
        File.Delete(measuredFile);
        using (new StageClaims(config.OutputDir, "other-worker").TryTake($"quality {plan.Generations[0].Stage}"))
            TinySweep.Runner(plan, TinySweep.Tracker(config)).Run();
        Assert.False(File.Exists(measuredFile));
        TinySweep.Runner(plan, TinySweep.Tracker(config)).Run();
        Assert.True(File.Exists(measuredFile));
        Assert.All(SweepStatusCommand.States(plan, [], SweepRunner.LoadExisting(config)), x => Assert.Equal("done", x.State));

        // The same grid in one process gives the same numbers.
        var single = TinySweep.Config(TinySweep.TempDir("single"), TinySweep.NativeGenerators, ratios: "[0, 0.5, 1]", seeds: "[0]");
        using var cleanupSingle = new DeleteOnDispose(Path.GetDirectoryName(single.SourcePath)!);
        Assert.True(TinySweep.Runner(SweepPlanner.Plan(single), TinySweep.Tracker(single)).Run().Complete);
        Assert.Equal(File.ReadAllText(Path.Combine(single.OutputDir, "report", "summary.csv")),
            File.ReadAllText(Path.Combine(config.OutputDir, "report", "summary.csv")));
    }

    [Fact]
    public void ExecutorSlurmAndItsSettingsAreReadAndTyposNamedWithTheirLine()
    {
        var dir = TinySweep.TempDir("slurm-yaml");
        using var cleanup = new DeleteOnDispose(dir);
        var yaml = TinySweep.Yaml(Path.Combine(dir, "run"), TinySweep.NativeGenerators).Replace("  pretrain_steps: 4", "  pretrain_steps: 4\n  device: cpu") + """

            executor: slurm
            slurm:
              partition: gpu
              max_parallel: 3
              setup: module load cuda/12.4
              extra_args: ["--exclude=node13"]
              cells: {time: "04:00:00", cpus: 4, mem: 16G, gres: "gpu:1"}
            """;
        var config = ExperimentConfigLoader.Parse(yaml, Path.Combine(dir, "experiments.yaml"));
        Assert.Equal(Executor.Slurm, config.Executor);
        Assert.Equal(("gpu", 3, "module load cuda/12.4"), (config.Slurm.Partition, config.Slurm.MaxParallel, config.Slurm.Setup));
        Assert.Equal(["--exclude=node13"], config.Slurm.ExtraArgs);
        Assert.Equal(new SlurmResources("04:00:00", 4, "16G", "gpu:1"), config.Slurm.Cells);
        Assert.Equal("cpu", SweepGenerators.BuildConfig(config).Device);

        var typo = Assert.Throws<ConfigException>(() => ExperimentConfigLoader.Parse(
            yaml.Replace("max_parallel: 3", "max_paralel: 3").Replace("device: cpu", "device: tpu"), Path.Combine(dir, "experiments.yaml")));
        Assert.Contains(typo.Errors, e => e.Key.Contains("max_paralel"));
        Assert.Contains(typo.Errors, e => e.Key == "generator.device" && e.Message.Contains("'tpu'"));
    }

    internal static Process Augment(IEnumerable<string> args)
    {
        var info = new ProcessStartInfo(SlurmExecutor.AugmentBinary()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    internal static string Finish(Process p)
    {
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(5)), "worker did not finish");
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {stdout.Result}\n{stderr}");
        return stdout.Result;
    }
}
