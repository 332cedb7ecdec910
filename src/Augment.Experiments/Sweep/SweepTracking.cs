using System.Globalization;
using Augment.Classifier;
using Augment.Evaluation.Quality;
using Augment.Tracking;

namespace Augment.Experiments.Sweep;

/// <summary>
/// The sweep's tracked runs: one parent run per sweep (output folder) and one child run per cell, tagged so that a
/// resumed sweep finds them again (FindRuns on augment.sweep) instead of starting duplicates.
/// </summary>
public sealed partial class SweepTracking
{
    public const string SweepTag = "augment.sweep", CellTag = "augment.cell", RoleTag = "augment.role", ParentTag = "mlflow.parentRunId",
        FingerprintTag = "augment.fingerprint", ErrorTag = "augment.error";

    readonly IExperimentTracker tracker;
    readonly string experimentId, sweepKey;
    readonly Dictionary<string, List<TrackedRun>> cellRuns;
    readonly Dictionary<string, string> parentTags;

    public string ParentRunId { get; }

    public SweepTracking(IExperimentTracker tracker, string experiment, string sweepKey, string sweepName,
        IReadOnlyDictionary<string, string> sweepParams, IReadOnlyDictionary<string, string> versionTags)
    {
        this.tracker = tracker;
        this.sweepKey = sweepKey;
        experimentId = tracker.GetOrCreateExperiment(experiment);
        var runs = tracker.FindRuns(experimentId, SweepTag, sweepKey);
        var parent = runs.FirstOrDefault(r => r.Tags.GetValueOrDefault(RoleTag) == "sweep");
        if (parent is null)
        {
            parent = tracker.StartRun(experimentId, sweepName, new Dictionary<string, string> { [SweepTag] = sweepKey, [RoleTag] = "sweep" });
            // Only on creation: MLflow params are immutable, and a resumed sweep may have been given more seeds.
            tracker.LogParams(parent.RunId, sweepParams);
        }
        ParentRunId = parent.RunId;
        parentTags = parent.Tags.ToDictionary();
        foreach (var (key, value) in versionTags) tracker.SetTag(ParentRunId, key, value);
        cellRuns = runs.Where(r => r.Tags.GetValueOrDefault(RoleTag) == "cell" && r.Tags.ContainsKey(CellTag))
            .GroupBy(r => r.Tags[CellTag]).ToDictionary(g => g.Key, g => g.ToList());
    }

    string CellTagValue(CellPlan cell) => $"{sweepKey}:{cell.Key}";

    /// <summary>
    /// The cell's run: the one a killed sweep left (running, killed or failed) with the same fingerprint, or a new one.
    /// Only params the run lacks are logged (MLflow params are immutable): settings that changed have a new fingerprint
    /// and so a new run, and the old run is left as the history of the old settings.
    /// </summary>
    public string StartCell(CellPlan cell, IReadOnlyDictionary<string, string> parameters, string fingerprint,
        IReadOnlyDictionary<string, string> versionTags)
    {
        var tag = CellTagValue(cell);
        var runs = cellRuns.TryGetValue(tag, out var list) ? list : cellRuns[tag] = [];
        var run = runs.LastOrDefault(r => r.Tags.GetValueOrDefault(FingerprintTag) == fingerprint
            && parameters.All(p => !r.Params.TryGetValue(p.Key, out var v) || v == p.Value));
        foreach (var stale in runs.Where(r => r != run && r.Status == RunStatus.Running).ToList())
        {
            tracker.EndRun(stale.RunId, RunStatus.Killed);
            runs[runs.IndexOf(stale)] = stale with { Status = RunStatus.Killed };
        }
        if (run is null)
        {
            run = StartCellRun(cell, fingerprint);
            runs.Add(run);
        }
        var missing = parameters.Where(p => !run.Params.ContainsKey(p.Key)).ToDictionary();
        if (missing.Count > 0) tracker.LogParams(run.RunId, missing);
        runs[runs.IndexOf(run)] = run = run with { Params = run.Params.Concat(missing).ToDictionary() };
        foreach (var (key, value) in versionTags) tracker.SetTag(run.RunId, key, value);
        loggedEpochs[run.RunId] = run.LastSteps.GetValueOrDefault("val_macro_f1");
        return run.RunId;
    }

    TrackedRun StartCellRun(CellPlan cell, string fingerprint) => tracker.StartRun(experimentId, cell.Key.Replace('/', ' '), new Dictionary<string, string>
    {
        [SweepTag] = sweepKey, [RoleTag] = "cell", [CellTag] = CellTagValue(cell), [ParentTag] = ParentRunId, [FingerprintTag] = fingerprint,
        ["augment.dataset"] = cell.Dataset, ["augment.generator"] = cell.Generator ?? "real",
    });

    // Per run, the last epoch it holds: a resumed trainer reports its restored epochs again, and only the ones the run
    // lacks (a process died between saving last.ckpt and logging) are logged, so no point is lost or doubled.
    readonly Dictionary<string, long> loggedEpochs = [];

    public void LogEpoch(string runId, EpochReport e)
    {
        if (e.Epoch <= loggedEpochs.GetValueOrDefault(runId)) return;
        tracker.LogMetrics(runId, EpochPoints(e));
        loggedEpochs[runId] = e.Epoch;
    }

    public void LogTest(string runId, EvaluationMetrics m, int step) => tracker.LogMetrics(runId, TestPoints(m, step));

    static List<MetricPoint> EpochPoints(EpochReport e) =>
    [
        Point("train_loss", e.TrainLoss, e.Epoch), Point("train_accuracy", e.TrainAccuracy, e.Epoch),
        Point("val_loss", e.ValLoss, e.Epoch), Point("val_macro_f1", e.ValMacroF1, e.Epoch),
        Point("val_accuracy", e.ValAccuracy, e.Epoch), Point("learning_rate", e.LearningRate, e.Epoch),
        Point("skipped_steps", e.SkippedSteps, e.Epoch),
    ];

    static List<MetricPoint> TestPoints(EvaluationMetrics m, int step)
    {
        var points = new List<MetricPoint>
        {
            Point("test_accuracy", m.Accuracy, step), Point("test_macro_precision", m.MacroPrecision, step),
            Point("test_macro_recall", m.MacroRecall, step), Point("test_macro_f1", m.MacroF1, step),
            Point("test_weighted_f1", m.WeightedF1, step), Point("test_balanced_accuracy", m.BalancedAccuracy, step),
        };
        points.AddRange(m.PerClass.Select(c => Point($"test_f1/{SafeKey(c.Label)}", c.F1, step)));
        return points;
    }

    /// <summary>A generation's quality on the parent run: gen/&lt;generator&gt;/&lt;class&gt;/&lt;metric&gt;, step = the generation's seed.</summary>
    public void LogQuality(GenerationPlan generation, QualityReport quality)
    {
        var points = new List<MetricPoint>();
        foreach (var c in quality.Classes)
        {
            var prefix = $"gen/{SafeKey(generation.Generator)}/{SafeKey(c.Class)}/";
            foreach (var (name, value) in new (string, double?)[]
                     {
                         ("recognisability", c.Recognisability), ("real_val_accuracy", c.RealValAccuracy), ("frechet", c.Frechet),
                         ("frechet_floor", c.FrechetFloor), ("diversity", c.Diversity), ("near_copy_share", c.NearCopyShare),
                     })
                if (value is { } v) points.Add(Point(prefix + name, v, generation.Seed));
        }
        if (points.Count > 0) tracker.LogMetrics(ParentRunId, points);
        tracker.SetTag(ParentRunId, QualityTag(generation), SweepPlanner.ShortHash(quality.Inputs ?? ""));
        parentTags[QualityTag(generation)] = SweepPlanner.ShortHash(quality.Inputs ?? "");
    }

    /// <summary>Whether the parent run already holds this measurement of the generation (a tag set after its points),
    /// asking the tracker when this process has not logged it itself (another worker may have).</summary>
    public bool HasQuality(GenerationPlan generation, QualityReport quality)
    {
        var hash = SweepPlanner.ShortHash(quality.Inputs ?? "");
        if (parentTags.GetValueOrDefault(QualityTag(generation)) == hash) return true;
        var parent = tracker.FindRuns(experimentId, SweepTag, sweepKey).FirstOrDefault(r => r.RunId == ParentRunId);
        return parent?.Tags.GetValueOrDefault(QualityTag(generation)) == hash;
    }

    static string QualityTag(GenerationPlan generation) => $"augment.quality.{SafeKey(generation.Stage).Replace(' ', '_')}";

    public void LogArtifacts(string runId, string dir, params string[] files)
    {
        foreach (var f in files)
            if (File.Exists(Path.Combine(dir, f))) tracker.LogArtifact(runId, Path.Combine(dir, f));
    }

    public void End(string runId, RunStatus status) => tracker.EndRun(runId, status);

    /// <summary>A cell that failed before training (no synthetic clips for it): a FAILED run with its params and why, no metrics.</summary>
    public string FailCell(CellPlan cell, IReadOnlyDictionary<string, string> parameters, string fingerprint,
        IReadOnlyDictionary<string, string> versionTags, string error)
    {
        var runId = StartCell(cell, parameters, fingerprint, versionTags);
        tracker.SetTag(runId, ErrorTag, error.Length > 5000 ? error[..5000] : error); // MLflow's tag value limit
        End(runId, RunStatus.Failed);
        return runId;
    }

    static MetricPoint Point(string key, double value, long step) => new(key, value, step, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    /// <summary>MLflow keys allow letters, digits, _ - . space and /; anything else in a class name becomes _.</summary>
    public static string SafeKey(string name) =>
        string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or ' ' ? c : '_'));

    public static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
