using System.CommandLine;
using Augment.Cli.Commands;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Tracking;

namespace Augment.Tests.Experiments;

/// <summary>Resume that notices edits: every stage reruns exactly when something it depends on changed.</summary>
public class ResumeTests
{
    static (ExperimentConfig Config, string Path) Load(string path) => (ExperimentConfigLoader.Load(path), path);

    static (SweepRunner Runner, SweepOutcome Outcome) Run(ExperimentConfig config, params StageKind[] force)
    {
        var runner = TinySweep.Runner(SweepPlanner.Plan(config), TinySweep.Tracker(config), force.ToHashSet());
        return (runner, runner.Run());
    }

    static Dictionary<string, StageDecision> Preview(ExperimentConfig config, params StageKind[] force) =>
        SweepRunner.Preview(SweepPlanner.Plan(config), force.ToHashSet()).ToDictionary(d => d.Stage);

    [Fact]
    public void AnEditToExperimentsYamlRerunsExactlyTheStagesItAffects()
    {
        var dir = TinySweep.TempDir("resume");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, TinySweep.NativeGenerators, ratios: "[0, 1]", seeds: "[0]");
        var (first, firstOutcome) = Run(config);
        Assert.True(firstOutcome.Complete);
        Assert.Equal(3, first.CellsTrained);
        Assert.All(Preview(config).Values, d => Assert.Equal(StageAction.Reuse, d.Action));

        // Classifier epochs: every cell and the reference classifier rerun, naming the setting; nothing on the generator side does.
        Edit(config.SourcePath, "epochs: 2,", "epochs: 3,");
        config = ExperimentConfigLoader.Load(config.SourcePath);
        var plan = Preview(config);
        Assert.Equal(4, plan.Values.Count(d => d.Action == StageAction.Rerun));
        Assert.All(plan.Values.Where(d => d.Stage.StartsWith("cell ") || d.Stage.StartsWith("reference ")), d => Assert.Equal("classifier.epochs 2 → 3", d.Why));
        Assert.All(plan.Values.Where(d => !d.Stage.StartsWith("cell ") && !d.Stage.StartsWith("reference ")), d => Assert.Equal(StageAction.Reuse, d.Action));
        var (second, secondOutcome) = Run(config);
        Assert.Equal((3, 0), (second.CellsTrained, second.GenerationsRun));
        Assert.Equal(4, secondOutcome.Reruns.Count);
        Assert.Equal(2, second.QualityMeasured); // a new reference measures every generation again
        Assert.All(CellResults(config), r => Assert.Equal(3, r.Steps / StepsPerEpoch(config, r)));
        Assert.True(Directory.Exists(Path.Combine(config.OutputDir, "stale")), "the old cells were not kept");

        // A gate threshold: the two gatings and the cells built on them rerun; the clips themselves, pretraining, LoRA and real-only do not.
        Edit(config.SourcePath, "min_sharpness: 0,", "min_sharpness: 0.001,");
        config = ExperimentConfigLoader.Load(config.SourcePath);
        plan = Preview(config);
        Assert.Equal(StageAction.Reuse, plan["base generator"].Action);
        Assert.Equal(StageAction.Reuse, plan["LoRA adapter demo"].Action);
        Assert.Equal(StageAction.Reuse, plan["cell demo/real/r0/s0"].Action);
        Assert.Equal(StageAction.Reuse, plan["generation demo/medgen/s0"].Action);
        Assert.Contains("gate.min_sharpness 0 → 0.001", plan["gating demo/medgen/s0"].Why);
        Assert.Equal("gating demo/medgen/s0 reruns", plan["cell demo/medgen/r1/s0"].Why);
        Assert.Equal(StageAction.Reuse, plan["reference classifier demo"].Action);
        var (third, _) = Run(config);
        Assert.Equal((2, 0), (third.CellsTrained, third.GenerationsRun));
        Assert.Equal(2, third.QualityMeasured);

        // Calibrating the gate is a gate setting like the others: gating reruns.
        Edit(config.SourcePath, "min_motion: 0}", "min_motion: 0, calibrate: true}");
        plan = Preview(ExperimentConfigLoader.Load(config.SourcePath));
        Assert.Contains("gate.calibrate false → true", plan["gating demo/hunyuanvideo/s0"].Why);
        Edit(config.SourcePath, "min_motion: 0, calibrate: true}", "min_motion: 0}");

        // --force: the named stage kind reruns once although nothing changed.
        Assert.Equal(StageAction.Rerun, Preview(config, StageKind.Cell)["cell demo/real/r0/s0"].Action);
        var (forced, _) = Run(config, StageKind.Cell);
        Assert.Equal((3, 0), (forced.CellsTrained, forced.GenerationsRun));
        var (again, _) = Run(config);
        Assert.Equal((0, 0), (again.CellsTrained, again.GenerationsRun));

        // The dry run says the same thing from the command line.
        Edit(config.SourcePath, "epochs: 3,", "epochs: 2,");
        var (code, output) = CliCapture.Run(() => new RootCommand { SweepCommand.Create() }.Parse(["sweep", config.SourcePath, "--dry-run"]).Invoke());
        Assert.Equal(0, code);
        Assert.Contains("Stages: 6 reuse, 4 rerun.", output);
        Assert.Contains("classifier.epochs 3 → 2", output);
    }

    [Fact]
    public void AChangedParamStartsANewRunInsteadOfWedgingTracking()
    {
        var dir = TinySweep.TempDir("params");
        using var cleanup = new DeleteOnDispose(dir);
        var store = Path.Combine(dir, "mlruns");
        var cell = new CellPlan("demo/real/r0/s0", "demo", null, 0, 0, Path.Combine(dir, "cell"));
        var tags = new Dictionary<string, string> { ["augment.code_commit"] = "abc" };
        SweepTracking Open() => new(new FileStoreTracker(store), "exp", "sweep1", "sweep", new Dictionary<string, string> { ["seeds"] = "0" }, tags);

        var killed = Open().StartCell(cell, new Dictionary<string, string> { ["epochs"] = "2" }, "print-a", tags);
        // Resumed with the same settings: the same run, and a new param is added rather than rejected.
        Assert.Equal(killed, Open().StartCell(cell, new Dictionary<string, string> { ["epochs"] = "2", ["width"] = "4" }, "print-a", tags));
        // Settings changed (MLflow would refuse "epochs" 2 → 3): a new run, the old one closed as killed.
        var fresh = Open().StartCell(cell, new Dictionary<string, string> { ["epochs"] = "3", ["width"] = "4" }, "print-b", tags);
        Assert.NotEqual(killed, fresh);

        var reader = new FileStoreReader(store);
        var runs = reader.Runs(reader.ExperimentByName("exp")!.ExperimentId).ToDictionary(r => r.RunId);
        Assert.Equal(RunStatus.Killed, runs[killed].Status);
        Assert.Equal(("2", "4"), (runs[killed].Params["epochs"], runs[killed].Params["width"]));
        Assert.Equal(("3", RunStatus.Running), (runs[fresh].Params["epochs"], runs[fresh].Status));
        Assert.Equal("print-b", runs[fresh].Tags[SweepTracking.FingerprintTag]);
        Assert.Equal("abc", runs[fresh].Tags["augment.code_commit"]);
    }

    [Fact]
    public void TheBuildStampsItsCommitAndASourceHashPerLibrary()
    {
        var root = ConfigTests.RepoRoot();
        // Built from a checkout: the commit the SDK stamped; from an export without .git: "unknown".
        if (Directory.Exists(Path.Combine(root, ".git")) || File.Exists(Path.Combine(root, ".git")))
            Assert.True(CodeVersion.Commit.Length == 40 && CodeVersion.Commit.All(char.IsAsciiHexDigit), CodeVersion.Commit);
        else
            Assert.Equal(CodeVersion.Unknown, CodeVersion.Commit);
        Assert.Equal(12, CodeVersion.Sources.Length);
        Assert.NotEqual(CodeVersion.Of(StageKind.Generation), CodeVersion.Of(StageKind.Cell));
        // The stamp is in the assembly, not derived at run time from files that could have changed since the build.
        Assert.Contains(typeof(CodeVersion).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>(), m => m.Key == "AugmentSourceHash" && m.Value!.Length == 64);
    }

    static void Edit(string path, string from, string to)
    {
        var text = File.ReadAllText(path);
        Assert.Contains(from, text);
        File.WriteAllText(path, text.Replace(from, to));
    }

    static IEnumerable<CellResult> CellResults(ExperimentConfig config) =>
        SweepPlanner.Plan(config).Cells.Select(c => CellResult.TryRead(c.Dir)!);

    // Every cell of a dataset takes the same steps per epoch (the real training split's size over the batch size).
    static long StepsPerEpoch(ExperimentConfig config, CellResult r) =>
        CellResults(config).Where(c => c.Dataset == r.Dataset).Select(c => c.Steps).Min() / 3;
}
