using Augment.Evaluation.Quality;
using Augment.Data;
using Augment.Experiments.Sweep;
using Splits = Augment.Data.Datasets.Splits;
using Augment.Evaluation;
using Augment.Classifier;

namespace Augment.Report;

/// <summary>One row of the Table-3-style table: a generator (or real only) at its reported ratio.</summary>
public sealed record TableRow(string Generator, string Label, double Ratio, MetricStats Accuracy, MetricStats Precision,
    MetricStats Recall, MetricStats F1, IReadOnlyDictionary<string, MetricStats> TargetClassF1,
    ConfidenceInterval? DeltaF1, string? Confusion, long? ConfusionSeed)
{
    /// <summary>Paired ΔF1 of each targeted class, with its own interval.</summary>
    public IReadOnlyDictionary<string, ConfidenceInterval> TargetClassDelta { get; init; } = new Dictionary<string, ConfidenceInterval>();
    public MetricStats LogLoss { get; init; } = new(double.NaN, double.NaN, 0);
    /// <summary>Per-window macro-F1 (the secondary view; the headline F1 is per video).</summary>
    public MetricStats WindowF1 { get; init; } = new(double.NaN, double.NaN, 0);
    /// <summary>ΔF1 of this row over ΔF1 of the upper bound at the same ratio and seeds, with its paired interval
    /// (null: no upper bound, or it shows no significant gain at this ratio, or this row is real only or the upper bound).</summary>
    public ConfidenceInterval? GainCaptured { get; init; }
    public IReadOnlyDictionary<string, ConfidenceInterval> TargetClassGain { get; init; } = new Dictionary<string, ConfidenceInterval>();
    /// <summary>Test videos (and windows) behind every metric of the row.</summary>
    public int TestVideos { get; init; }
    public int TestWindows { get; init; }
}

/// <summary>Mean ± std over seeds of one (generator, ratio) of the grid; generator "real" is the ratio-0 baseline.</summary>
public sealed record GridPoint(string Generator, string Label, double Ratio, MetricStats Accuracy, MetricStats Precision,
    MetricStats Recall, MetricStats F1);

public sealed record DatasetReport(string Name, IReadOnlyList<string> TargetClasses, string RatioRule,
    IReadOnlyList<TableRow> Rows, IReadOnlyList<GridPoint> Grid)
{
    /// <summary>What the upper bound (held-out real clips) says about this setup, in plain words, or why there is none.</summary>
    public string? UpperBound { get; init; }
}

/// <summary>What the quality gate let through for one generation run, and its contact sheets.</summary>
public sealed record GateSummary(string Dataset, string Generator, string Label, long Seed,
    IReadOnlyDictionary<string, int> Accepted, IReadOnlyDictionary<string, int> Rejected, IReadOnlyList<string> ContactSheets);

/// <summary>A generation's quality.json, as the report reads it.</summary>
public sealed record QualitySummary(string Dataset, string Generator, string Label, long Seed, QualityReport Quality);

/// <summary>The report's numbers, computed only from the files a sweep stored under its run folder. Paths are relative to it.</summary>
public sealed record ReportModel(SweepSummary Sweep, IReadOnlyList<DatasetReport> Datasets, IReadOnlyList<GateSummary> Gates,
    int FinishedCells, IReadOnlyList<CellResult> FailedCells, IReadOnlyList<string> Warnings)
{
    /// <summary>Generation quality per finished generation that has a quality.json.</summary>
    public IReadOnlyList<QualitySummary> Quality { get; init; } = [];
}

public static class SweepReport
{
    public const int BootstrapResamples = 2000;

    public static ReportModel Build(string runDir)
    {
        runDir = Path.GetFullPath(runDir);
        var summaryPath = Path.Combine(runDir, SweepSummary.FileName);
        if (!File.Exists(summaryPath)) throw new FileNotFoundException($"{runDir}: no {SweepSummary.FileName} here; is this a sweep's output_dir?");
        var sweep = AtomicFile.ReadJson<SweepSummary>(summaryPath);

        var cells = new List<(CellResult Result, string Dir)>();
        var cellsDir = Path.Combine(runDir, "cells");
        if (Directory.Exists(cellsDir))
            foreach (var file in Directory.EnumerateFiles(cellsDir, CellResult.FileName, SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                cells.Add((AtomicFile.ReadJson<CellResult>(file), Path.GetDirectoryName(file)!));
        var finished = cells.Where(c => c.Result.Status == CellStatus.Finished).ToList();

        var datasets = sweep.Datasets.Select(d => BuildDataset(runDir, sweep, d, finished.Where(c => c.Result.Dataset == d.Name).ToList())).ToList();
        var failed = cells.Where(c => c.Result.Status == CellStatus.Failed).Select(c => c.Result).ToList();
        var generations = FinishedGenerations(runDir, sweep);
        var gates = ReadGates(runDir, generations);
        var quality = ReadQuality(generations);
        return new ReportModel(sweep, datasets, gates, finished.Count, failed,
            Warnings(runDir, sweep, finished.Select(c => c.Result).ToList(), failed, gates, datasets, quality)) { Quality = quality };
    }

    /// <summary>A class of a generation whose near-copy share exceeds this is worth a reader's attention.</summary>
    public const double ManyNearCopies = 0.25;

    /// <summary>A generation that kept less than this share of its clips is worth a reader's attention.</summary>
    public const double LowAcceptance = 0.5;

    /// <summary>Everything a reader must know before trusting a number below, in the order it matters.</summary>
    static List<string> Warnings(string runDir, SweepSummary sweep, List<CellResult> finished, List<CellResult> failed,
        List<GateSummary> gates, List<DatasetReport> datasets, List<QualitySummary> quality)
    {
        var w = new List<string>();
        if (failed.Count > 0)
        {
            int shortfalls = failed.Count(f => f.SyntheticShortfall);
            w.Add($"{failed.Count} cell(s) failed" + (shortfalls > 0 ? $", {shortfalls} of them because the quality gate left too few synthetic clips" : "") +
                  ": their rows are missing from the tables (see Failed cells at the end).");
        }
        int missing = sweep.PlannedCells - finished.Count - failed.Count;
        if (missing > 0) w.Add($"{missing} of {sweep.PlannedCells} planned cells have no result yet: the tables show an unfinished sweep (run augment sweep again).");
        foreach (var ds in datasets.Where(d => d.Rows.Count > 0 && d.Rows.All(r => r.Generator != "real")))
            w.Add($"Dataset {ds.Name} has no finished real-only cell, so no ΔF1 can be computed.");
        foreach (var g in gates)
        {
            int accepted = g.Accepted.Values.Sum(), all = accepted + g.Rejected.Values.Sum();
            if (all > 0 && accepted < LowAcceptance * all)
                w.Add($"Generation {g.Dataset}/{g.Label}/seed {g.Seed}: the quality gate accepted only {accepted} of {all} clips ({100.0 * accepted / all:0}%).");
        }
        foreach (var g in gates.Where(g => sweep.Generators.First(x => x.Name == g.Generator).Backend != HoldoutBackend && !quality.Any(q => (q.Dataset, q.Generator, q.Seed) == (g.Dataset, g.Generator, g.Seed))))
            w.Add($"Generation {g.Dataset}/{g.Label}/seed {g.Seed}: its quality was not measured (no quality.json; the sweep's output says why).");
        foreach (var q in quality)
            foreach (var c in q.Quality.Classes.Where(c => c.NearCopyShare > ManyNearCopies))
                w.Add($"Generation {q.Dataset}/{q.Label}/seed {q.Seed}: {c.NearCopies} of {c.GeneratedClips} {c.Class} clips are near-copies of real training clips (reference-classifier features).");
        foreach (var ds in sweep.Datasets)
        {
            if (ds.Unusable.Count > 0)
                w.Add($"Dataset {ds.Name}: {ds.Unusable.Values.Sum()} video(s) could not be used ({string.Join(", ", ds.Unusable.OrderByDescending(kv => kv.Value).Select(kv => $"{kv.Value} {kv.Key}"))}); " +
                      $"datasets/{ds.Name}/quarantine.csv lists each with its reason.");
            foreach (var split in new[] { Splits.Val, Splits.Test })
                if (ds.Counts.Count > 0 && ds.Counts.Where(c => c.Split == split).Sum(c => c.Videos) == 0)
                    w.Add($"Dataset {ds.Name} has no {split} videos.");
            w.AddRange(ds.Warnings.Select(text => $"Dataset {ds.Name}: {text}"));
        }
        var skippedCells = finished.Where(r => r.SkippedSteps > 0).ToList();
        if (skippedCells.Count > 0)
            w.Add($"{skippedCells.Count} cell(s) skipped {skippedCells.Sum(r => r.SkippedSteps)} classifier training step(s) whose loss or gradient was not finite.");
        foreach (var marker in new[] { "base.json", "adapter.json" })
            foreach (var file in Directory.Exists(Path.Combine(runDir, "generators"))
                         ? Directory.EnumerateFiles(Path.Combine(runDir, "generators"), marker, SearchOption.AllDirectories) : [])
            {
                var t = AtomicFile.ReadJson<GeneratorTrainingRecord>(file);
                if (t is { SkippedSteps: > 0 })
                    w.Add($"Generator training ({Path.GetRelativePath(runDir, file)}) skipped {t.SkippedSteps} of {t.Steps} step(s) whose loss or gradient was not finite.");
                if (t is { AutoencoderSkippedSteps: > 0 })
                    w.Add($"Video autoencoder training ({Path.GetRelativePath(runDir, file)}) skipped {t.AutoencoderSkippedSteps} of {t.AutoencoderSteps} step(s) whose loss or gradient was not finite.");
            }
        if (sweep.NumericsFallback)
            w.Add($"Numerics: {sweep.Numerics}. Numbers are not comparable with runs made on the default code path.");
        var standIns = sweep.Generators.Where(g => g.Backend == "native").ToList();
        if (standIns.Count > 0)
            w.Add($"{string.Join(" and ", standIns.Select(g => g.Label))} {(standIns.Count == 1 ? "is a small native stand-in" : "are small native stand-ins")} " +
                  $"({SweepGenerators.Millions(standIns[0].StandInParameters ?? 0)} params) trained here, not the published model{(standIns.Count == 1 ? "" : "s")} of that name.");
        return w;
    }

    /// <summary>The report's name for the upper-bound generators (backend holdout).</summary>
    public const string HoldoutBackend = "holdout";

    static DatasetReport BuildDataset(string runDir, SweepSummary sweep, DatasetSummary ds, List<(CellResult Result, string Dir)> cells)
    {
        var baseline = cells.Where(c => c.Result.Generator == "real").OrderBy(c => c.Result.Seed).ToList();
        var rows = new List<TableRow>();
        var grid = new List<GridPoint>();
        if (baseline.Count > 0)
        {
            rows.Add(Row(runDir, "real", sweep.RealOnlyLabel, 0, baseline, ds.TargetClasses, null));
            grid.Add(Point("real", sweep.RealOnlyLabel, 0, baseline));
        }

        Dictionary<double, List<(CellResult Result, string Dir)>> ByRatio(string generator) => cells.Where(c => c.Result.Generator == generator)
            .GroupBy(c => c.Result.Ratio).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key, g => g.OrderBy(c => c.Result.Seed).ToList());
        var bound = sweep.Generators.FirstOrDefault(g => g.Backend == HoldoutBackend);
        var boundRuns = bound is null ? [] : ByRatio(bound.Name);
        // The upper bound's own ΔF1 at each ratio: gain captured is a ratio only where that is significantly positive.
        var boundDelta = boundRuns.ToDictionary(kv => kv.Key, kv => baseline.Count == 0 ? null : DeltaF1(baseline, kv.Value, ds.TargetClasses));

        foreach (var gen in sweep.Generators)
        {
            var byRatio = ByRatio(gen.Name);
            foreach (var (ratio, group) in byRatio) grid.Add(Point(gen.Name, gen.Label, ratio, group));
            if (byRatio.Count == 0) continue;

            double chosen = sweep.ReportRatio is { } fixedRatio && byRatio.ContainsKey(fixedRatio)
                ? fixedRatio
                : byRatio.MaxBy(kv => kv.Value.Average(c => c.Result.ValMacroF1)).Key;
            var row = Row(runDir, gen.Name, gen.Label, chosen, byRatio[chosen], ds.TargetClasses, baseline);
            if (gen != bound && boundRuns.TryGetValue(chosen, out var boundAtRatio) && baseline.Count > 0
                && boundDelta[chosen] is { MacroF1: { ExcludesZero: true, Estimate: > 0 } } && GainCaptured(baseline, byRatio[chosen], boundAtRatio, ds.TargetClasses) is { } gain)
            {
                // Per class only where the upper bound gains on that class.
                var classes = gain.ClassF1.Where(kv => boundDelta[chosen]!.ClassF1.GetValueOrDefault(kv.Key) is { ExcludesZero: true, Estimate: > 0 })
                    .ToDictionary(kv => kv.Key, kv => kv.Value);
                row = row with { GainCaptured = gain.MacroF1, TargetClassGain = classes };
            }
            rows.Add(row);
        }
        var rule = sweep.ReportRatio is { } r
            ? $"ratio {SweepPlanner.RatioText(r)} for every generator (report_ratio)"
            : "for each generator, the ratio with its best mean validation macro-F1 over seeds (chosen without looking at " +
              "the test split; set report_ratio in experiments.yaml to fix it in advance)";
        return new DatasetReport(ds.Name, ds.TargetClasses, rule, rows, grid)
        {
            UpperBound = UpperBoundSentence(ds, bound, bound is null ? null : rows.FirstOrDefault(x => x.Generator == bound.Name)),
        };
    }

    /// <summary>The plain sentence on the upper bound: missing (no `keep`), no significant gain, or a gain to compare against.</summary>
    static string UpperBoundSentence(DatasetSummary ds, GeneratorSummary? bound, TableRow? row)
    {
        if (ds.KeptOut.Values.Sum() == 0)
            return $"No upper bound: `keep` holds no real training clips out of {ds.Name}, so there are no more real clips to add. " +
                   "Gain captured cannot be computed; whether this setup could show a gain at all is unknown.";
        if (bound is null)
            return "This sweep lists no upper-bound generator (`backend: holdout`), although `keep` holds real clips out: " +
                   "gain captured cannot be computed, and whether this setup could show a gain at all is unknown.";
        if (row?.DeltaF1 is not { } delta)
            return $"The upper bound ({bound.Label}) has no finished cells paired with real only yet: gain captured cannot be computed.";
        if (!delta.ExcludesZero || delta.Estimate <= 0)
            return $"The upper bound ({bound.Label}: the real clips `keep` held out, added at ratio {SweepPlanner.RatioText(row.Ratio)}) " +
                   $"shows no significant gain (ΔF1 {delta.Estimate:+0.000;-0.000;0.000} [{delta.Low:+0.000;-0.000;0.000}, {delta.High:+0.000;-0.000;0.000}]): " +
                   "this setup cannot show a gain, so no generator's ΔF1 here says whether its clips help.";
        return $"The upper bound ({bound.Label}: the real clips `keep` held out, added at ratio {SweepPlanner.RatioText(row.Ratio)}) gains " +
               $"ΔF1 {delta.Estimate:+0.000;-0.000;0.000} [{delta.Low:+0.000;-0.000;0.000}, {delta.High:+0.000;-0.000;0.000}]: this setup can show a gain. " +
               "Gain captured = a generator's ΔF1 over the upper bound's ΔF1 at the generator's ratio, same seeds and test videos " +
               "(1 = as good as that much more real data; 0 = no gain; shown only where the upper bound gains significantly at that ratio).";
    }

    static GridPoint Point(string generator, string label, double ratio, List<(CellResult Result, string Dir)> runs) =>
        new(generator, label, ratio, MetricStats.Of(runs.Select(c => c.Result.Accuracy)), MetricStats.Of(runs.Select(c => c.Result.MacroPrecision)),
            MetricStats.Of(runs.Select(c => c.Result.MacroRecall)), MetricStats.Of(runs.Select(c => c.Result.MacroF1)));

    static TableRow Row(string runDir, string generator, string label, double ratio, List<(CellResult Result, string Dir)> runs,
        IReadOnlyList<string> targets, List<(CellResult Result, string Dir)>? baseline)
    {
        var results = runs.Select(c => c.Result).ToList();
        var perClass = targets.ToDictionary(t => t, t => MetricStats.Of(results.Where(r => r.PerClassF1.ContainsKey(t)).Select(r => r.PerClassF1[t])));
        var confusion = runs.Select(c => Path.Combine(c.Dir, "confusion.png")).FirstOrDefault(File.Exists);
        long? confusionSeed = confusion is null ? null : runs.First(c => Path.Combine(c.Dir, "confusion.png") == confusion).Result.Seed;
        var delta = baseline is null ? null : DeltaF1(baseline, runs, targets);
        return new TableRow(generator, label, ratio,
            MetricStats.Of(results.Select(r => r.Accuracy)), MetricStats.Of(results.Select(r => r.MacroPrecision)),
            MetricStats.Of(results.Select(r => r.MacroRecall)), MetricStats.Of(results.Select(r => r.MacroF1)),
            perClass, delta?.MacroF1,
            confusion is null ? null : Path.GetRelativePath(runDir, confusion), confusionSeed)
        {
            TargetClassDelta = delta is null ? new Dictionary<string, ConfidenceInterval>() : delta.ClassF1,
            LogLoss = MetricStats.Of(results.Select(r => r.LogLoss)),
            WindowF1 = MetricStats.Of(results.Select(r => r.WindowMacroF1)),
            TestVideos = results.Max(r => r.TestVideos),
            TestWindows = results.Max(r => r.TestWindows),
        };
    }

    sealed record PairedDelta(ConfidenceInterval MacroF1, IReadOnlyDictionary<string, ConfidenceInterval> ClassF1);

    /// <summary>
    /// Pairs runs by seed, scores each run per video (window probabilities averaged) on the test videos all of them
    /// share, and bootstraps ΔF1 over videos and seeds.
    /// </summary>
    static PairedDelta? DeltaF1(List<(CellResult Result, string Dir)> baseline, List<(CellResult Result, string Dir)> candidate, IReadOnlyList<string> targets)
    {
        if (Align([baseline, candidate], targets) is not { } a) return null;
        var result = PairedBootstrap.Delta(a.Labels, a.Runs.Select(r => new PredictionPair(r[0], r[1])).ToList(), a.Classes.Count,
            a.Targets.Keys.ToList(), BootstrapResamples, seed: 0);
        return new PairedDelta(result.MacroF1, result.ClassF1.ToDictionary(kv => a.Targets[kv.Key], kv => kv.Value));
    }

    /// <summary>Gain captured: the same pairing with the upper bound's run of each seed as the third member.</summary>
    static PairedDelta? GainCaptured(List<(CellResult Result, string Dir)> baseline, List<(CellResult Result, string Dir)> candidate,
        List<(CellResult Result, string Dir)> bound, IReadOnlyList<string> targets)
    {
        if (Align([baseline, candidate, bound], targets) is not { } a) return null;
        var result = PairedBootstrap.GainCaptured(a.Labels, a.Runs.Select(r => new PredictionTriple(r[0], r[1], r[2])).ToList(), a.Classes.Count,
            a.Targets.Keys.ToList(), BootstrapResamples, seed: 0);
        return new PairedDelta(result.MacroF1, result.ClassF1.ToDictionary(kv => a.Targets[kv.Key], kv => kv.Value));
    }

    /// <summary>Per-video predictions of several roles (baseline, candidate, ...), one entry per seed that all of them ran.</summary>
    sealed record Aligned(int[] Labels, List<int[][]> Runs, List<string> Classes, Dictionary<int, string> Targets);

    /// <summary>The seeds every role has predictions for, scored on the test videos all those runs share.</summary>
    static Aligned? Align(IReadOnlyList<List<(CellResult Result, string Dir)>> roles, IReadOnlyList<string> targets)
    {
        var seeds = new List<IReadOnlyDictionary<string, (string Label, string Predicted)>[]>();
        foreach (var seed in roles[^1].Select(c => c.Result.Seed))
        {
            var runs = roles.Select(role => role.FirstOrDefault(c => c.Result.Seed == seed)).ToList();
            if (runs.Any(r => r.Result is null)) continue;
            var paths = runs.Select(r => Path.Combine(r.Dir, PredictionsCsv.FileName)).ToList();
            if (!paths.All(File.Exists)) continue;
            seeds.Add(paths.Select(p => PredictionsCsv.PerVideo(PredictionsCsv.Read(p))).ToArray());
        }
        if (seeds.Count == 0) return null;

        var shared = seeds.SelectMany(s => s).Select(p => p.Keys).Aggregate((a, b) => a.Intersect(b)).Order(StringComparer.Ordinal).ToArray();
        if (shared.Length == 0) return null;
        var classes = roles[0][0].Result.Classes.ToList();
        foreach (var pred in seeds.SelectMany(s => s).SelectMany(p => p.Values))
            foreach (var name in new[] { pred.Label, pred.Predicted })
                if (!classes.Contains(name)) classes.Add(name);
        var labels = shared.Select(video => classes.IndexOf(seeds[0][0][video].Label)).ToArray();
        var runsBySeed = seeds.Select(s => s.Select(p => shared.Select(video => classes.IndexOf(p[video].Predicted)).ToArray()).ToArray()).ToList();
        return new Aligned(labels, runsBySeed, classes, targets.Where(classes.Contains).ToDictionary(t => classes.IndexOf(t), t => t));
    }

    /// <summary>Every gated generation of the sweep (dataset × generator × seed with a gating.json).</summary>
    static List<FinishedGeneration> FinishedGenerations(string runDir, SweepSummary sweep) =>
        (from ds in sweep.Datasets
         from gen in sweep.Generators
         from seed in sweep.Seeds
         let dir = Path.Combine(SweepPlanner.GenerationDir(runDir, ds.Name, gen.Name, seed), GenerationPlan.GatingFolder)
         let record = GatingRecord.TryRead(dir)
         where record is not null
         select new FinishedGeneration(ds, gen, seed, dir, record)).ToList();

    /// <summary>Dir: the gating folder, which holds the gate's record, its contact sheets and the quality measurement.</summary>
    sealed record FinishedGeneration(DatasetSummary Dataset, GeneratorSummary Generator, long Seed, string Dir, GatingRecord Record);

    static List<QualitySummary> ReadQuality(List<FinishedGeneration> generations) =>
        (from g in generations
         let q = QualityReport.TryRead(g.Dir)
         where q is not null
         select new QualitySummary(g.Dataset.Name, g.Generator.Name, g.Generator.Label, g.Seed, q)).ToList();

    static List<GateSummary> ReadGates(string runDir, List<FinishedGeneration> generations) =>
        generations.Select(g => new GateSummary(g.Dataset.Name, g.Generator.Name, g.Generator.Label, g.Seed,
            g.Record.Accepted, g.Record.Rejected,
            g.Record.ContactSheets.Select(s => Path.GetRelativePath(runDir, Path.Combine(g.Dir, s))).Where(s => File.Exists(Path.Combine(runDir, s))).ToList())).ToList();
}
