using System.Text.Json;
using Augment.Evaluation.Quality;
using Augment.Data;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Tracking;
using Augment.Synthetic;

namespace Augment.Tests.Experiments;

/// <summary>
/// Runs one tiny sweep for real: interrupted after its first finished cell, interrupted again in the middle of the next
/// cell's training (after its first epoch), resumed to the end, then run once more; the tests below check what each run
/// did from the files and the tracking store it left.
/// </summary>
public sealed class InterruptedTinySweep : IDisposable
{
    public ExperimentConfig Config { get; }
    public SweepPlan Plan { get; }
    public SweepOutcome First { get; }
    public SweepOutcome Second { get; }
    public SweepOutcome Third { get; }
    public SweepOutcome Fourth { get; }
    public SweepRunner FirstRunner { get; }
    public SweepRunner ThirdRunner { get; }
    public SweepRunner FourthRunner { get; }
    public string FirstCellKey { get; }
    public DateTime FirstCellWrittenAt { get; }
    public Dictionary<string, DateTime> ManifestsAfterThird { get; }
    public int GenerationsRun { get; }

    public InterruptedTinySweep()
    {
        Config = TinySweep.Config(TinySweep.TempDir("sweep"), TinySweep.NativeGenerators);
        Plan = SweepPlanner.Plan(Config);

        using (var cancel = new CancellationTokenSource())
        {
            string? firstFinished = null;
            FirstRunner = TinySweep.Runner(Plan, TinySweep.Tracker(Config));
            First = FirstRunner.Run(new SyncProgress<SweepProgress>(p =>
            {
                if (p.CellFinished is { Status: CellStatus.Finished } done && firstFinished is null)
                {
                    firstFinished = done.Key;
                    cancel.Cancel();
                }
            }), cancel.Token);
            FirstCellKey = firstFinished ?? throw new InvalidOperationException("the first run finished no cell");
            FirstCellWrittenAt = File.GetLastWriteTimeUtc(ResultPath(FirstCellKey));
        }
        using (var cancel = new CancellationTokenSource())
        {
            var second = TinySweep.Runner(Plan, TinySweep.Tracker(Config));
            Second = second.Run(new SyncProgress<SweepProgress>(p =>
            {
                if (p.Stage.Contains(": epoch 1/")) cancel.Cancel(); // mid-cell: last.ckpt holds epoch 1
            }), cancel.Token);
            GenerationsRun += second.GenerationsRun;
        }

        ThirdRunner = TinySweep.Runner(Plan, TinySweep.Tracker(Config));
        Third = ThirdRunner.Run();
        GenerationsRun += FirstRunner.GenerationsRun + ThirdRunner.GenerationsRun;
        ManifestsAfterThird = Plan.Generations.ToDictionary(g => g.GatingDir, g => File.GetLastWriteTimeUtc(Path.Combine(g.GatingDir, SyntheticManifest.FileName)));

        FourthRunner = TinySweep.Runner(Plan, TinySweep.Tracker(Config));
        Fourth = FourthRunner.Run();
    }

    public string ResultPath(string key) => Path.Combine(Plan.Cells.Single(c => c.Key == key).Dir, CellResult.FileName);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(Config.SourcePath)!, recursive: true);
}

/// <summary>One interrupted tiny sweep shared by every test class that inspects it.</summary>
[CollectionDefinition(Name)]
public sealed class TinySweepCollection : ICollectionFixture<InterruptedTinySweep>
{
    public const string Name = "interrupted tiny sweep";
}

[Collection(TinySweepCollection.Name)]
// AFinishedFolderTrackedIntoANewStore… re-tracks the shared folder, which points its result.json files at the new
// store's runs: it must come after the tests that inspect the runs the sweep itself left.
[TestCaseOrderer(DeclarationOrder.Type, DeclarationOrder.Assembly)]
public class SweepTests(InterruptedTinySweep sweep)
{
    [Fact]
    public void InterruptedSweepResumesWithoutRedoingFinishedCells()
    {
        Assert.True(sweep.First.Cancelled);
        Assert.Equal(1, sweep.First.Finished);
        Assert.Equal(1, sweep.FirstRunner.CellsTrained);

        Assert.True(sweep.Second.Cancelled);
        Assert.Equal(0, sweep.Second.Finished);
        Assert.Equal(1, sweep.Second.Skipped);

        Assert.True(sweep.Third.Complete, $"third run: {sweep.Third}");
        Assert.Equal(0, sweep.Third.Failed);
        Assert.Equal(1, sweep.Third.Skipped);
        Assert.Equal(sweep.Plan.Cells.Count - 1, sweep.Third.Finished);
        Assert.Equal(sweep.Plan.Cells.Count - 1, sweep.ThirdRunner.CellsTrained);
        Assert.Equal(sweep.FirstCellWrittenAt, File.GetLastWriteTimeUtc(sweep.ResultPath(sweep.FirstCellKey)));

        Assert.Equal(sweep.Plan.Cells.Count, sweep.Fourth.Skipped);
        Assert.Equal(0, sweep.FourthRunner.CellsTrained);
        Assert.All(sweep.Plan.Cells, c => Assert.Equal(CellStatus.Finished, CellResult.TryRead(c.Dir)!.Status));
    }

    [Fact]
    public void GenerationRunsOncePerDatasetGeneratorSeedAndSmallerRatiosReuseIt()
    {
        int expected = sweep.Plan.Generations.Count;
        Assert.Equal(1 * 2 * 2, expected); // 1 dataset × 2 generators × 2 seeds, for 2 positive ratios
        Assert.Equal(expected, sweep.GenerationsRun);
        Assert.Equal(0, sweep.FourthRunner.GenerationsRun);
        foreach (var (dir, writtenAt) in sweep.ManifestsAfterThird)
            Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(Path.Combine(dir, SyntheticManifest.FileName)));

        // Each cell mixes a prefix of its generation's accepted clips: round(r · n) of the scarce class, never more than accepted.
        foreach (var gen in sweep.Plan.Generations)
        {
            var record = GatingRecord.TryRead(gen.GatingDir)!;
            int previous = 0;
            foreach (var cell in sweep.Plan.Cells.Where(c => c.Generator == gen.Generator && c.Seed == gen.Seed).OrderBy(c => c.Ratio))
            {
                var result = CellResult.TryRead(cell.Dir)!;
                var used = result.SyntheticUsed.Values.Sum();
                Assert.True(used >= previous, $"{cell.Key}: {used} synthetic clips, fewer than a smaller ratio used");
                Assert.True(used <= record.Accepted.Values.Sum());
                Assert.All(result.SyntheticUsed.Where(kv => kv.Value > 0), kv => Assert.Contains(kv.Key, result.TargetClasses));
                previous = used;
            }
            Assert.True(previous > 0, $"{gen.Dir}: the largest ratio mixed no synthetic clip");
        }
    }

    [Fact]
    public void TrackingHoldsOneRunPerCellPlusTheParentAndNoDuplicates()
    {
        var reader = new FileStoreReader(Path.Combine(sweep.Config.OutputDir, "mlruns"));
        var experiment = reader.ExperimentByName(sweep.Config.Experiment)!;
        var runs = reader.Runs(experiment.ExperimentId);
        Assert.Equal(sweep.Plan.Cells.Count + 1, runs.Count);

        var parent = Assert.Single(runs, r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "sweep");
        Assert.Equal(RunStatus.Finished, parent.Status);
        var cells = runs.Where(r => r.RunId != parent.RunId).ToList();
        Assert.Equal(cells.Count, cells.Select(r => r.Tags[SweepTracking.CellTag]).Distinct().Count());
        foreach (var run in cells)
        {
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal(parent.RunId, run.Tags[SweepTracking.ParentTag]);
            foreach (var p in new[] { "dataset", "generator", "ratio", "seed", "model", "profile" })
                Assert.True(run.Params.ContainsKey(p), $"{run.RunName}: no param {p}");
            Assert.Equal("tiny", run.Params["profile"]);
            Assert.Equal(CodeVersion.Commit, run.Tags["augment.code_commit"]);
            // One point per epoch: the cell cancelled after epoch 1 resumed from last.ckpt at epoch 2, in the same run.
            Assert.Equal(new long[] { 1, 2 }, run.Metrics["val_macro_f1"].Select(m => m.Step));

            var cell = sweep.Plan.Cells.Single(c => run.Tags[SweepTracking.CellTag].EndsWith(":" + c.Key));
            Assert.Equal(Fingerprint.TryRead(cell.Dir)!.Hash, run.Tags[SweepTracking.FingerprintTag]);
            var result = CellResult.TryRead(cell.Dir)!;
            Assert.Equal(result.TrackingRunId, run.RunId);
            Assert.Equal(result.MacroF1, run.Latest("test_macro_f1")!.Value, 6);
            Assert.True(File.Exists(Path.Combine(run.ArtifactDirectory!, "metrics.json")));
            Assert.True(File.Exists(Path.Combine(run.ArtifactDirectory!, "confusion.png")));
        }
    }

    [Fact]
    public void EveryGenerationStoresItsQualityOnceTrackedOnTheParentRun()
    {
        var reference = Path.Combine(sweep.Config.OutputDir, "reference", "demo");
        Assert.True(File.Exists(Path.Combine(reference, ReferenceRecord.FileName)));
        Assert.True(File.Exists(Path.Combine(reference, Fingerprint.FileName)));
        // The reference trains on the full training split: the scarce class's 6 rendered clips, not the 2 `keep` leaves.
        Assert.Equal(3 * 6, AtomicFile.ReadJson<ReferenceRecord>(Path.Combine(reference, ReferenceRecord.FileName)).TrainClips);
        foreach (var gen in sweep.Plan.Generations)
        {
            var quality = QualityReport.TryRead(gen.GatingDir);
            Assert.NotNull(quality);
            var row = Assert.Single(quality.Classes); // the tiny demo targets its one scarce class
            Assert.Equal(GatingRecord.TryRead(gen.GatingDir)!.Accepted.Values.Sum(), row.GeneratedClips);
            Assert.InRange(row.Recognisability!.Value, 0, 1);
            Assert.InRange(row.RealValAccuracy!.Value, 0, 1);
            Assert.True(row.Frechet >= 0 && row.FrechetFloor >= 0 && row.Diversity >= 0, $"{gen.Dir}: {row}");
            Assert.InRange(row.NearCopyShare!.Value, 0, 1);
        }
        Assert.Equal(0, sweep.FourthRunner.QualityMeasured); // nothing changed: every quality.json is reused

        var reader = new FileStoreReader(Path.Combine(sweep.Config.OutputDir, "mlruns"));
        var parent = reader.Runs(reader.ExperimentByName(sweep.Config.Experiment)!.ExperimentId)
            .Single(r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "sweep");
        var scarce = Augment.Data.Datasets.DemoDataset.AllClasses[2].Name; // the tiny demo's one scarce class
        Assert.Equal(sweep.Config.Seeds.Select(s => (long)s), parent.Metrics[$"gen/medgen/{scarce}/recognisability"].Select(m => m.Step).Order());
    }

    [Fact]
    public void AFinishedFolderTrackedIntoANewStoreGetsTheGenerationQualityOnce()
    {
        var store = Path.Combine(TinySweep.TempDir("newstore"), "mlruns");
        using var cleanup = new DeleteOnDispose(Path.GetDirectoryName(store)!);
        var plan = SweepPlanner.Plan(sweep.Config);
        for (int i = 0; i < 2; i++)
        {
            var outcome = TinySweep.Runner(plan, new FileStoreTracker(store)).Run();
            Assert.True(outcome.Complete && outcome.TrackingComplete, string.Join("; ", outcome.Untracked));
        }
        var reader = new FileStoreReader(store);
        var parent = reader.Runs(reader.ExperimentByName(sweep.Config.Experiment)!.ExperimentId)
            .Single(r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "sweep");
        var scarce = Augment.Data.Datasets.DemoDataset.AllClasses[2].Name;
        // Every generation's points, from the stored quality.json files, and only once although the folder was tracked twice.
        Assert.Equal(sweep.Config.Seeds.Select(s => (long)s), parent.Metrics[$"gen/medgen/{scarce}/recognisability"].Select(m => m.Step).Order());
        Assert.Equal(sweep.Config.Seeds.Select(s => (long)s), parent.Metrics[$"gen/hunyuanvideo/{scarce}/frechet"].Select(m => m.Step).Order());
    }

    [Fact]
    public void CellResultsCopyTheClassifierMetricsFile()
    {
        foreach (var cell in sweep.Plan.Cells)
        {
            var result = CellResult.TryRead(cell.Dir)!;
            using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(cell.Dir, "metrics.json")));
            Assert.Equal(metrics.RootElement.GetProperty("macro_f1").GetDouble(), result.MacroF1, 12);
            Assert.Equal(metrics.RootElement.GetProperty("accuracy").GetDouble(), result.Accuracy, 12);
        }
    }

    [Fact]
    public void ReportContainsEveryTableAndImageItPromises()
    {
        var reportDir = Path.Combine(sweep.Config.OutputDir, "report");
        Assert.Equal(Path.Combine(reportDir, "report.html"), sweep.Third.ReportHtml);
        var md = File.ReadAllText(Path.Combine(reportDir, "report.md"));
        var html = File.ReadAllText(Path.Combine(reportDir, "report.html"));

        Assert.Contains("| Method | Generator | Ratio | Seeds | Test videos | ACC | Pre | Rec | F1 | ΔF1 [95% CI] | Gain captured [95% CI] | Log-loss | F1 per window |", md);
        // What each generator really is, per row and in the warnings block at the top.
        Assert.Matches(@"\| \+MedGen \| native latent stand-in \+ LoRA on the training split \(\d\.\d\dM params\) \|", md);
        var warnings = md[md.IndexOf("## Warnings", StringComparison.Ordinal)..md.IndexOf("## Dataset demo", StringComparison.Ordinal)];
        Assert.Contains("HunyuanVideo and MedGen are small native stand-ins", warnings);
        Assert.Contains("<ul class=\"warnings\">", html);
        // Dataset counts per split and class: the tiny demo has 6 training videos of each common class, 2 of the scarce one.
        Assert.Contains("### Data", md);
        Assert.Matches(@"\| train \| 6 \| 6 \| 2 \| 14 \|", md);
        Assert.Contains("No video was quarantined or missing", md);
        Assert.Contains("| Real only | 0 | 2 |", md);
        Assert.Contains("| +HunyuanVideo |", md);
        Assert.Contains("| +MedGen |", md);
        Assert.Contains("Macro-F1 versus augmentation ratio", md);
        Assert.Contains("Per-class F1 of the targeted scarce classes", md);
        Assert.Contains("Confusion matrices", md);
        Assert.Contains("Contact sheets: HunyuanVideo", md);
        Assert.Contains("Contact sheets: MedGen", md);
        Assert.Contains("quality gate", md);
        // Generation quality, beside the F1 table, from the stored quality.json files.
        var quality = md.IndexOf("### Generation quality (reference classifier)", StringComparison.Ordinal);
        Assert.InRange(quality, md.IndexOf("| Method | Generator |", StringComparison.Ordinal), md.IndexOf("### Data", StringComparison.Ordinal));
        Assert.Contains("| Generator | Class | Generations | Clips | Recognisability | Real val accuracy | Fréchet distance (reference-classifier features) | Real floor | Diversity | Near-copies |", md);
        Assert.Matches(@"\| MedGen \| [^|]+ \| 2 \| \d+ \| \d\.\d{3} ± \d\.\d{3} \|", md);
        Assert.Contains("Generation quality (reference classifier)", html);

        // Every image the markdown links exists; the HTML inlines all of them and links none.
        var links = System.Text.RegularExpressions.Regex.Matches(md, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains(links, l => l.EndsWith("f1_vs_ratio_demo.png"));
        Assert.Contains(links, l => l.EndsWith("quality_demo.png"));
        Assert.True(links.Count(l => l.EndsWith("confusion.png")) == 3, string.Join("\n", links));
        Assert.Contains(links, l => l.Contains("generations/demo/medgen/"));
        Assert.All(links, l => Assert.True(File.Exists(Path.Combine(reportDir, l)), l));
        Assert.Equal(links.Count, System.Text.RegularExpressions.Regex.Matches(html, "src=\"data:image/png;base64,").Count);
        Assert.DoesNotContain("src=\"/", html);

        // summary.csv: one row per (generator, ratio) of the grid, numbers from the stored results.
        var rows = File.ReadAllLines(Path.Combine(reportDir, "summary.csv"));
        Assert.Equal(1 + 1 + 2 * 2, rows.Length);
        var realF1 = sweep.Plan.Cells.Where(c => c.IsRealOnly).Average(c => CellResult.TryRead(c.Dir)!.MacroF1);
        var realRow = rows.Single(r => r.StartsWith("demo,real,")).Split(',');
        Assert.Equal(realF1, double.Parse(realRow[11], System.Globalization.CultureInfo.InvariantCulture), 9);
        Assert.True(File.Exists(Path.Combine(reportDir, "report.json")));
    }
}

[Collection(TinySweepCollection.Name)]
public class ReportRatioTests(InterruptedTinySweep sweep)
{
    [Fact]
    public void FixedReportRatioIsUsedForEveryGeneratorAndDeltaMatchesStoredMetrics()
    {
        // A copy of the finished run whose sweep.json asks for ratio 1.
        var copy = TinySweep.TempDir("report-ratio");
        using var cleanup = new DeleteOnDispose(copy);
        foreach (var sub in new[] { "cells", "generations" }) CopyTree(Path.Combine(sweep.Config.OutputDir, sub), Path.Combine(copy, sub));
        var summary = AtomicFile.ReadJson<SweepSummary>(Path.Combine(sweep.Config.OutputDir, SweepSummary.FileName)) with { ReportRatio = 1 };
        AtomicFile.WriteJson(Path.Combine(copy, SweepSummary.FileName), summary);

        var ds = Assert.Single(Augment.Report.SweepReport.Build(copy).Datasets);
        Assert.Contains("ratio 1 for every generator", ds.RatioRule);
        Assert.Equal(["real", "hunyuanvideo", "medgen"], ds.Rows.Select(r => r.Generator));
        foreach (var row in ds.Rows.Skip(1))
        {
            Assert.Equal(1, row.Ratio);
            var cells = sweep.Plan.Cells.Where(c => c.Generator == row.Generator && c.Ratio == 1).Select(c => CellResult.TryRead(c.Dir)!).ToList();
            var real = sweep.Plan.Cells.Where(c => c.IsRealOnly).Select(c => CellResult.TryRead(c.Dir)!).ToList();
            Assert.Equal(cells.Average(c => c.MacroF1), row.F1.Mean, 12);
            // The bootstrap's point estimate is recomputed from predictions.csv; it must agree with the stored metrics.
            var stored = cells.Average(c => c.MacroF1 - real.Single(r => r.Seed == c.Seed).MacroF1);
            Assert.Equal(stored, row.DeltaF1!.Estimate, 9);
            Assert.True(row.DeltaF1.Low <= row.DeltaF1.Estimate && row.DeltaF1.Estimate <= row.DeltaF1.High);
        }
    }

    [Fact]
    public void BestRatioIsChosenOnValidationNotTest()
    {
        var ds = Assert.Single(Augment.Report.SweepReport.Build(sweep.Config.OutputDir).Datasets);
        Assert.Contains("validation", ds.RatioRule);
        foreach (var row in ds.Rows.Skip(1))
        {
            var byRatio = sweep.Plan.Cells.Where(c => c.Generator == row.Generator)
                .GroupBy(c => c.Ratio)
                .ToDictionary(g => g.Key, g => g.Select(c => CellResult.TryRead(c.Dir)!).ToList());
            Assert.All(byRatio.Values.SelectMany(v => v), c => Assert.InRange(c.ValMacroF1, 0, 1));
            Assert.Equal(byRatio.MaxBy(kv => kv.Value.Average(c => c.ValMacroF1)).Key, row.Ratio);
        }
    }

    static void CopyTree(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}

public class SweepFailureTests
{
    [Fact]
    public void FailingCellIsRecordedAndTheOthersStillRun()
    {
        var dir = TinySweep.TempDir("sweep-fail");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, TinySweep.BrokenImportGenerators, ratios: "[0, 1]", seeds: "[0]");
        var runner = TinySweep.Runner(SweepPlanner.Plan(config), TinySweep.Tracker(config));
        var outcome = runner.Run();

        Assert.Equal(1, outcome.Finished);
        var failure = Assert.Single(outcome.Failures);
        Assert.Equal("demo/broken/r1/s0", failure.Key);
        Assert.Contains("missing-clips.csv", failure.Error);
        Assert.Equal(CellStatus.Failed, CellResult.TryRead(Path.Combine(config.OutputDir, "cells", "demo", "broken", "r1", "s0"))!.Status);
        Assert.Contains("demo/broken/r1/s0", File.ReadAllText(Path.Combine(config.OutputDir, "report", "report.md")));
    }

    [Fact]
    public void CellsWhoseGenerationYieldsNoAcceptedClipsFailWithTheShortfall()
    {
        var dir = TinySweep.TempDir("sweep-shortfall");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, TinySweep.NativeGenerators, ratios: "[0, 1]", seeds: "[0]");
        // A gate no clip can pass: every generated clip is "too dark".
        File.WriteAllText(config.SourcePath, File.ReadAllText(config.SourcePath).Replace("min_sharpness: 0, min_motion: 0", "min_luma: 255"));
        config = ExperimentConfigLoader.Load(config.SourcePath);
        var outcome = TinySweep.Runner(SweepPlanner.Plan(config), TinySweep.Tracker(config)).Run();

        Assert.Equal(1, outcome.Finished);
        Assert.Equal(2, outcome.Failed);
        Assert.False(outcome.Complete);
        foreach (var failure in outcome.Failures)
        {
            Assert.StartsWith("synthetic shortfall:", failure.Error);
            Assert.Contains("got 0", failure.Error);
            Assert.True(failure.Error!.Contains("too dark"), failure.Error);
        }
        // Each has a FAILED tracked run saying why, with no metrics: no classifier was trained on real data alone under an augmented name.
        var reader = new FileStoreReader(Path.Combine(config.OutputDir, "mlruns"));
        var runs = reader.Runs(reader.ExperimentByName(config.Experiment)!.ExperimentId).ToDictionary(r => r.RunId);
        foreach (var failure in outcome.Failures)
        {
            var run = runs[failure.TrackingRunId!];
            Assert.Equal(RunStatus.Failed, run.Status);
            Assert.Equal(failure.Error, run.Tags[SweepTracking.ErrorTag]);
            Assert.Empty(run.Metrics);
        }
        Assert.NotNull(outcome.ReportHtml);
        var report = File.ReadAllText(Path.Combine(config.OutputDir, "report", "report.md"));
        Assert.Contains("synthetic shortfall", report);
        var warnings = report[report.IndexOf("## Warnings", StringComparison.Ordinal)..report.IndexOf("## Dataset demo", StringComparison.Ordinal)];
        Assert.Contains("2 cell(s) failed, 2 of them because the quality gate left too few synthetic clips", warnings);
        Assert.Matches(@"the quality gate accepted only 0 of \d+ clips \(0%\)", warnings);
    }
}
