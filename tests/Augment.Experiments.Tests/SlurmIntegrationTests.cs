using System.CommandLine;
using Augment.Cli.Commands;
using Augment.Experiments.Cluster;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Tracking;

namespace Augment.Tests.Experiments;

/// <summary>
/// A tiny sweep through a real Slurm cluster (scripts/slurm-local.sh starts a one-node one; scripts/test.sh does so
/// when it runs as root, and leaves this test out, saying so, when it cannot).
/// </summary>
[Trait("needs", "slurm")]
public class SlurmIntegrationTests
{
    static int Sweep(string config) => CliCapture.Run(() => new RootCommand { SweepCommand.Create() }.Parse(["sweep", config]).Invoke()).Code;

    static ExperimentConfig Config(string name, string epochs = "2")
    {
        var dir = TinySweep.TempDir(name);
        var path = Path.Combine(dir, "experiments.yaml");
        File.WriteAllText(path, TinySweep.Yaml(Path.Combine(dir, "run"), TinySweep.NativeGenerators, ratios: "[0, 1]", seeds: "[0]")
            .Replace("epochs: 2,", $"epochs: {epochs},") + "\nexecutor: slurm\nslurm: {max_parallel: 2, cells: {cpus: 1}, generators: {cpus: 1}, report: {cpus: 1}}\n");
        return ExperimentConfigLoader.Load(path);
    }

    static void WaitForQueue(SweepPlan plan, Func<bool>? until = null)
    {
        var slurm = new SlurmExecutor(plan.Config, SlurmExecutor.RunCommand);
        var deadline = DateTime.UtcNow.AddMinutes(8);
        while (slurm.Queued(plan).Count > 0 && !(until?.Invoke() ?? false))
        {
            Assert.True(DateTime.UtcNow < deadline, "Slurm jobs did not finish in 8 minutes: " + string.Join(", ", slurm.Queued(plan)));
            Thread.Sleep(500);
        }
    }

    [Fact]
    public void ATinySweepThroughSlurmMatchesTheLocalRunAndAKilledTaskIsResubmittedAlone()
    {
        var config = Config("slurm");
        using var cleanup = new DeleteOnDispose(Path.GetDirectoryName(config.SourcePath)!);
        var plan = SweepPlanner.Plan(config);
        Assert.Equal(0, Sweep(config.SourcePath));
        Assert.Equal(4, ReadSubmission(config).JobIds.Count); // generators, real-only cells, augmented cells, report
        Assert.Equal(0, Sweep(config.SourcePath)); // still queued: nothing is submitted twice
        WaitForQueue(plan);
        Assert.All(plan.Cells, c => Assert.Equal(CellStatus.Finished, CellResult.TryRead(c.Dir)?.Status));

        var local = ExperimentConfigLoader.Parse(File.ReadAllText(config.SourcePath).Replace("executor: slurm", "executor: local"),
            Path.Combine(Path.GetDirectoryName(config.SourcePath)!, "local.yaml"), Path.Combine(Path.GetDirectoryName(config.SourcePath)!, "local"));
        Assert.True(TinySweep.Runner(SweepPlanner.Plan(local), TinySweep.Tracker(local)).Run().Complete);
        Assert.Equal(File.ReadAllText(Path.Combine(local.OutputDir, "report", "summary.csv")),
            File.ReadAllText(Path.Combine(config.OutputDir, "report", "summary.csv")));

        // A task killed mid-training: the next `augment sweep` submits that cell alone, which resumes in the same tracked run.
        var slow = Config("slurm-kill", epochs: "40");
        using var cleanupSlow = new DeleteOnDispose(Path.GetDirectoryName(slow.SourcePath)!);
        var slowPlan = SweepPlanner.Plan(slow);
        var victim = slowPlan.Cells[1];
        Assert.Equal(0, Sweep(slow.SourcePath));
        var arrayJob = ReadSubmission(slow).JobIds[$"augment-{slowPlan.SweepKey}-cells"];
        WaitForQueue(slowPlan, until: () => File.Exists(Path.Combine(victim.Dir, "last.ckpt")));
        Assert.True(File.Exists(Path.Combine(victim.Dir, "last.ckpt")), "the cell never started training");
        SlurmExecutor.RunCommand("scancel", [$"{arrayJob}_1"]);
        WaitForQueue(slowPlan);
        Assert.NotEqual(CellStatus.Finished, CellResult.TryRead(victim.Dir)?.Status);

        Assert.Equal(0, Sweep(slow.SourcePath));
        Assert.Equal([1], ReadSubmission(slow).Cells);
        WaitForQueue(slowPlan);
        Assert.All(slowPlan.Cells, c => Assert.Equal(CellStatus.Finished, CellResult.TryRead(c.Dir)?.Status));
        var reader = new FileStoreReader(Path.Combine(slow.OutputDir, "mlruns"));
        var runs = reader.Runs(reader.ExperimentByName(slow.Experiment)!.ExperimentId);
        Assert.Equal(slowPlan.Cells.Count + 1, runs.Count); // no duplicated run for the killed cell
        Assert.All(runs, r => Assert.Equal(RunStatus.Finished, r.Status));
        Assert.True(File.Exists(Path.Combine(slow.OutputDir, "report", "report.html")));
    }

    static SlurmSubmission ReadSubmission(ExperimentConfig config) =>
        Augment.Data.AtomicFile.ReadJson<SlurmSubmission>(Path.Combine(config.OutputDir, "slurm", SlurmSubmission.FileName));
}
