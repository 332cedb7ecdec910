using Augment.Classifier;
using Augment.Data;
using Augment.Tracking;

namespace Augment.Experiments.Sweep;

// Bringing the tracker up to date from the cells' local files, which are the record: after a tracking outage, after a
// process that died before closing its runs, or when a finished output folder is pointed at a new server or experiment.
public sealed partial class SweepTracking
{
    /// <summary>The files of a finished cell that its run carries as artifacts.</summary>
    public static readonly string[] CellArtifacts =
        [ResultFiles.MetricsJson, ResultFiles.ConfusionPng, ResultFiles.PredictionsCsv, ResultFiles.CurvesPng, ResultFiles.MixJson];

    /// <summary>
    /// Whether the tracker lacks a complete run of a locally finished cell's current settings (its fingerprint). A run
    /// is complete exactly when it is FINISHED: a cell ends its run only after its params, metrics and artifacts are in,
    /// and so does <see cref="Backfill"/>.
    /// </summary>
    public bool NeedsBackfill(CellPlan cell, string fingerprint) => CurrentRun(cell, fingerprint) is not { Status: RunStatus.Finished };

    TrackedRun? CurrentRun(CellPlan cell, string fingerprint) => cellRuns.TryGetValue(CellTagValue(cell), out var runs)
        ? runs.LastOrDefault(r => r.Tags.GetValueOrDefault(FingerprintTag) == fingerprint) : null;

    /// <summary>
    /// Logs what the cell's run lacks, without duplicating anything: the run itself when there is none, the params it
    /// does not have, each metric's points after the last step it has (per-epoch from history.json, test metrics from
    /// metrics.json), the artifacts (an upload to the same path replaces the file), then FINISHED.
    /// </summary>
    public string Backfill(CellPlan cell, IReadOnlyDictionary<string, string> parameters, string fingerprint)
    {
        var tag = CellTagValue(cell);
        var runs = cellRuns.TryGetValue(tag, out var list) ? list : cellRuns[tag] = [];
        var run = CurrentRun(cell, fingerprint);
        if (run is null) runs.Add(run = StartCellRun(cell, fingerprint));
        var missing = parameters.Where(p => !run.Params.ContainsKey(p.Key)).ToDictionary();
        if (missing.Count > 0) tracker.LogParams(run.RunId, missing);
        var points = LocalMetrics(cell.Dir).Where(p => !run.LastSteps.TryGetValue(p.Key, out var last) || p.Step > last).ToList();
        if (points.Count > 0) tracker.LogMetrics(run.RunId, points);
        LogArtifacts(run.RunId, cell.Dir, CellArtifacts);
        tracker.EndRun(run.RunId, RunStatus.Finished);
        runs[runs.IndexOf(run)] = run with { Status = RunStatus.Finished };
        return run.RunId;
    }

    /// <summary>Ends FAILED the runs of a failed cell that a dead process (or a lost server) left RUNNING.</summary>
    public void CloseFailed(CellPlan cell)
    {
        if (!cellRuns.TryGetValue(CellTagValue(cell), out var runs)) return;
        for (int i = 0; i < runs.Count; i++)
            if (runs[i].Status == RunStatus.Running)
            {
                tracker.EndRun(runs[i].RunId, RunStatus.Failed);
                runs[i] = runs[i] with { Status = RunStatus.Failed };
            }
    }

    static List<MetricPoint> LocalMetrics(string cellDir)
    {
        var historyPath = Path.Combine(cellDir, ResultFiles.HistoryJson);
        var history = AtomicFile.TryReadJson<List<EpochReport>>(historyPath) ?? [];
        var points = history.SelectMany(EpochPoints).ToList();
        var metricsPath = Path.Combine(cellDir, ResultFiles.MetricsJson);
        if (File.Exists(metricsPath))
            points.AddRange(TestPoints(AtomicFile.ReadJson<EvaluationMetrics>(metricsPath), history.Count == 0 ? 0 : history[^1].Epoch));
        return points;
    }
}
