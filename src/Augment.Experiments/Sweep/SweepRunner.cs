using System.Diagnostics;
using System.Globalization;
using Augment.Classifier;
using Augment.Data;
using Augment.Data.Numerics;
using Augment.Data.Video;
using Augment.Experiments.Config;
using Augment.Experiments.Report;
using Augment.Experiments.Tracking;

namespace Augment.Experiments.Sweep;

/// <summary>Where the sweep is: the current step (with its own fraction done) and the cells done so far.</summary>
public sealed record SweepProgress(string Stage, double StageFraction, int CellsDone, int CellsTotal, CellResult? CellFinished = null);

public sealed record SweepOutcome(int Total, int Finished, int Skipped, int Failed, bool Cancelled,
    IReadOnlyList<CellResult> Failures, string? ReportHtml, string? ReportError)
{
    public bool Complete => !Cancelled && Finished + Skipped == Total;
    /// <summary>Finished cells (run now or reused) whose run the tracker still lacks or holds incomplete, with why.</summary>
    public IReadOnlyDictionary<string, string> Untracked { get; init; } = new Dictionary<string, string>();
    /// <summary>Why the sweep's parent run could not be opened or closed, or null.</summary>
    public string? TrackingError { get; init; }
    public bool TrackingComplete => Untracked.Count == 0 && TrackingError is null;
}

/// <summary>
/// Runs a plan's cells in order, each to a result.json written atomically in its own folder. A cell whose result.json
/// says finished is skipped, so a sweep killed at any moment is finished by running it again; the pieces a cell needs
/// (datasets, base generator, adapter, generation) are made on first need and reused. One failing cell is recorded and
/// the others still run. Ends with the report. Tracking never fails a cell or stops the sweep: the cell's local files are
/// written first and are the record; what the tracker missed is listed in the outcome and backfilled by the next run.
/// </summary>
public sealed class SweepRunner(SweepPlan plan, IExperimentTracker tracker)
{
    readonly ExperimentConfig config = plan.Config;
    SweepGenerators? generators;

    /// <summary>Generation runs executed by this runner (not skipped as already done).</summary>
    public int GenerationsRun => generators?.GenerationsRun ?? 0;

    /// <summary>Classifier trainings executed by this runner.</summary>
    public int CellsTrained { get; private set; }

    public SweepOutcome Run(IProgress<SweepProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(config.OutputDir);
        int total = plan.Cells.Count, done = plan.Cells.Count(c => CellResult.TryRead(c.Dir)?.Status == CellStatus.Finished);
        void Report(string stage, double fraction) => progress?.Report(new SweepProgress(stage, fraction, done, total));

        var cache = new ClipCache(Path.Combine(config.OutputDir, "cache"));
        var datasets = new Dictionary<string, SweepDataset>();
        var datasetErrors = new Dictionary<string, string>();
        foreach (var entry in config.Datasets)
        {
            Report($"loading dataset {entry.Name}", 0);
            try
            {
                datasets[entry.Name] = SweepDataset.Load(entry, config.SourcePath,
                    new SyncProgress<(int done, int total)>(p => Report($"rendering demo dataset {entry.Name}", (double)p.done / p.total)));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                datasetErrors[entry.Name] = $"dataset {entry.Name} could not be loaded: {e.Message}";
            }
        }
        var numerics = ComputePath.Ensure();
        AtomicFile.WriteJson(Path.Combine(config.OutputDir, SweepSummary.FileName),
            SweepSummary.From(plan, datasets.ToDictionary(d => d.Key, d => d.Value.TargetClasses)) with { Numerics = Describe(numerics) });

        SweepTracking? tracking = null;
        string? trackingDown = null;
        try
        {
            tracking = new SweepTracking(tracker, config.Experiment, plan.SweepKey, $"sweep {config.Experiment}", SweepParams());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            trackingDown = e.Message;
        }
        generators = new SweepGenerators(config, datasets, cache);
        var commit = GitCommit.Read(Path.GetDirectoryName(config.SourcePath)!);

        var untracked = new Dictionary<string, string>();
        // One guard for all backfills: after the first failure the rest wait for the next run instead of each waiting out the retries.
        var backfill = new TrackingGuard(tracking, trackingDown);
        var failures = new List<CellResult>();
        int finished = 0, skipped = 0;
        bool cancelled = false;
        try
        {
            foreach (var cell in plan.Cells)
            {
                cancel.ThrowIfCancellationRequested();
                if (CellResult.TryRead(cell.Dir) is { Status: CellStatus.Finished } reused)
                {
                    if (tracking?.NeedsBackfill(cell) ?? true) Backfill(cell, reused, backfill, commit, untracked);
                    skipped++;
                    continue;
                }
                var log = new TrackingGuard(tracking, trackingDown);
                var result = datasetErrors.TryGetValue(cell.Dataset, out var loadError)
                    ? Failed(cell, loadError, null, 0)
                    : RunCell(cell, datasets[cell.Dataset], cache, log, commit, Report, cancel);
                // Failed before it got a run this time: a run an earlier process left RUNNING ends FAILED.
                if (result is { Status: CellStatus.Failed, TrackingRunId: null }) log.Try(t => t.CloseFailed(cell));
                if (result.Status == CellStatus.Finished)
                {
                    finished++;
                    done++;
                    if (log.Error is { } error) untracked[cell.Key] = error;
                }
                else failures.Add(result);
                progress?.Report(new SweepProgress($"finished {cell.Key}", 1, done, total, result));
            }
        }
        catch (OperationCanceledException)
        {
            cancelled = true;
        }
        var parent = new TrackingGuard(tracking, trackingDown);
        parent.Try(t => t.End(t.ParentRunId, cancelled ? RunStatus.Killed : failures.Count > 0 ? RunStatus.Failed : RunStatus.Finished));

        string? html = null, reportError = null;
        try
        {
            Report("writing the report", 0);
            html = ReportWriter.Write(config.OutputDir).Html;
        }
        catch (Exception e)
        {
            reportError = e.Message;
        }
        return new SweepOutcome(total, finished, skipped, failures.Count, cancelled, failures, html, reportError)
        {
            Untracked = untracked, TrackingError = parent.Error,
        };
    }

    void Backfill(CellPlan cell, CellResult reused, TrackingGuard backfill, string commit, Dictionary<string, string> untracked)
    {
        string? runId = null;
        if (!backfill.Try(t => runId = t.Backfill(cell, BackfillParams(cell, reused.TargetClasses, commit))))
            untracked[cell.Key] = backfill.Error!;
        // A new server or experiment gives the cell a new run: result.json points at the one that now holds it.
        else if (runId != reused.TrackingRunId)
            AtomicFile.WriteJson(Path.Combine(cell.Dir, CellResult.FileName), reused with { TrackingRunId = runId });
    }

    CellResult RunCell(CellPlan cell, SweepDataset ds, ClipCache cache, TrackingGuard log, string commit,
        Action<string, double> report, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        string? runId = null;
        try
        {
            string? manifest = null;
            if (!cell.IsRealOnly)
            {
                var generation = plan.Generations.Single(g => g.Dataset == cell.Dataset && g.Generator == cell.Generator && g.Seed == cell.Seed);
                var record = generators!.EnsureGeneration(generation, report, cancel);
                manifest = Path.Combine(generation.Dir, record.Manifest);
            }
            var mix = new MixOptions(manifest, cell.Ratio, ds.TargetClasses);
            // An augmented cell that cannot get the synthetic clips it asks for would only measure real data again.
            if (manifest is not null && Shortfall(SyntheticMixer.Mix(ds.Data, mix).Summary, manifest) is { } planned)
                return Failed(cell, planned, null, clock.Elapsed.TotalSeconds);
            log.Try(t => runId = t.StartCell(cell, CellParams(cell, ds.TargetClasses, commit)));
            // Calls below reach the tracker only when StartCell went through, so the run id is set whenever it is used.
            var id = runId!;
            var options = config.Classifier with { Seed = cell.Seed, Resume = true };
            var request = new TrainRequest(ds.Data, config.Clip, cache, options, mix, cell.Dir);
            var trained = ClassifierTrainer.Train(request, new SyncProgress<EpochReport>(e =>
            {
                log.Try(t => t.LogEpoch(id, e));
                report($"{cell.Key}: epoch {e.Epoch}/{options.Epochs}, val macro-F1 {e.ValMacroF1:0.000}", (double)e.Epoch / options.Epochs);
            }), cancel);
            CellsTrained++;
            if (manifest is not null && Shortfall(trained.Mix, manifest) is { } loaded)
            {
                log.Try(t => t.End(id, RunStatus.Failed));
                return Failed(cell, loaded, runId, clock.Elapsed.TotalSeconds);
            }

            var m = trained.Test;
            var result = new CellResult
            {
                Key = cell.Key, Dataset = cell.Dataset, Generator = cell.Generator ?? "real", Ratio = cell.Ratio, Seed = cell.Seed,
                Status = CellStatus.Finished, Classes = m.Classes, TargetClasses = ds.TargetClasses,
                Accuracy = m.Accuracy, MacroPrecision = m.MacroPrecision, MacroRecall = m.MacroRecall, MacroF1 = m.MacroF1,
                ValMacroF1 = trained.History.Count > 0 ? trained.History.Max(e => e.ValMacroF1) : double.NaN,
                PerClassF1 = m.PerClass.ToDictionary(c => c.Label, c => c.F1),
                LogLoss = m.LogLoss, TestVideos = m.Videos, TestWindows = m.Windows, WindowMacroF1 = m.PerWindow?.MacroF1 ?? m.MacroF1,
                Steps = trained.Steps,
                SyntheticUsed = trained.Mix.Synthetic, SkippedSteps = trained.SkippedSteps, TrackingRunId = runId,
                Seconds = clock.Elapsed.TotalSeconds, FinishedAt = DateTimeOffset.UtcNow,
            };
            // result.json before any tracking: the cell is done whatever the tracker does; what the run missed, the next
            // sweep backfills from these files (NeedsBackfill: the run is FINISHED only once all of it is in).
            AtomicFile.WriteJson(Path.Combine(cell.Dir, CellResult.FileName), result);
            log.Try(t => t.LogTest(id, m, trained.History.Count == 0 ? 0 : trained.History[^1].Epoch));
            log.Try(t => t.LogArtifacts(id, cell.Dir, SweepTracking.CellArtifacts));
            log.Try(t => t.End(id, RunStatus.Finished));
            return result;
        }
        catch (OperationCanceledException)
        {
            if (runId is not null) log.Try(t => t.End(runId, RunStatus.Killed));
            throw;
        }
        catch (Exception e)
        {
            if (runId is not null) log.Try(t => t.End(runId, RunStatus.Failed));
            return Failed(cell, e.Message, runId, clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>"synthetic shortfall: …" naming each targeted class that got fewer clips than its ratio asks for, or null.</summary>
    static string? Shortfall(MixSummary mix, string manifest)
    {
        var short_ = mix.Requested.Where(r => mix.Synthetic.GetValueOrDefault(r.Key) < r.Value).ToList();
        if (short_.Count == 0) return null;
        var rejected = SyntheticManifest.Read(manifest).Where(e => !e.Accepted).ToList();
        var parts = short_.Select(r =>
        {
            var reasons = rejected.Where(e => e.Label == r.Key)
                .SelectMany(e => (e.RejectReason ?? "rejected").Split("; ").Select(reason => reason.Split(" (")[0]))
                .GroupBy(reason => reason).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Key} ×{g.Count()}");
            var why = string.Join(", ", reasons);
            return $"{r.Key} needs {r.Value} synthetic clips, got {mix.Synthetic.GetValueOrDefault(r.Key)}" + (why.Length > 0 ? $" (gate rejections: {why})" : "");
        });
        return $"synthetic shortfall: {string.Join("; ", parts)}";
    }

    static string Describe(NumericsState n) =>
        $"oneDNN ISA {n.Isa} ({n.IsaReason}); oneDNN kernels {(n.OneDnnEnabled ? "on" : "off")}; self-check: " +
        (n.Check is null ? $"skipped ({ComputePath.CheckSetting})" : n.Check.Ok ? "passed" : "failed") + (n.Notice is null ? "" : $"; {n.Notice}");

    static CellResult Failed(CellPlan cell, string error, string? runId, double seconds)
    {
        var result = new CellResult
        {
            Key = cell.Key, Dataset = cell.Dataset, Generator = cell.Generator ?? "real", Ratio = cell.Ratio, Seed = cell.Seed,
            Status = CellStatus.Failed, Error = error, TrackingRunId = runId, Seconds = seconds, FinishedAt = DateTimeOffset.UtcNow,
        };
        AtomicFile.WriteJson(Path.Combine(cell.Dir, CellResult.FileName), result);
        return result;
    }

    Dictionary<string, string> SweepParams() => new()
    {
        ["config"] = config.SourcePath,
        ["profile"] = ProfileDefaults.Name(config.Profile),
        ["datasets"] = string.Join(",", config.Datasets.Select(d => d.Name)),
        ["generators"] = string.Join(",", config.Generators.Select(g => g.Name)),
        ["ratios"] = string.Join(",", config.Ratios.Select(SweepPlanner.RatioText)),
        ["seeds"] = string.Join(",", config.Seeds),
        ["cells"] = plan.Cells.Count.ToString(CultureInfo.InvariantCulture),
    };

    // The commit that trained a reused cell is not recorded locally, so a backfill leaves git_commit out rather than guess.
    Dictionary<string, string> BackfillParams(CellPlan cell, IReadOnlyList<string> targetClasses, string commit)
    {
        var parameters = CellParams(cell, targetClasses, commit);
        parameters.Remove("git_commit");
        return parameters;
    }

    Dictionary<string, string> CellParams(CellPlan cell, IReadOnlyList<string> targetClasses, string commit)
    {
        var c = config.Classifier;
        var generator = config.Generators.FirstOrDefault(g => g.Name == cell.Generator);
        return new Dictionary<string, string>
        {
            ["dataset"] = cell.Dataset,
            ["generator"] = cell.Generator ?? "real",
            ["generator_backend"] = generator?.Backend.ToString().ToLowerInvariant() ?? "none",
            ["ratio"] = SweepPlanner.RatioText(cell.Ratio),
            ["seed"] = cell.Seed.ToString(CultureInfo.InvariantCulture),
            ["model"] = c.Model,
            ["profile"] = ProfileDefaults.Name(config.Profile),
            ["git_commit"] = commit,
            ["epochs"] = c.Epochs.ToString(CultureInfo.InvariantCulture),
            ["width"] = c.Width.ToString(CultureInfo.InvariantCulture),
            ["depth"] = c.Depth.ToString(CultureInfo.InvariantCulture),
            ["batch_size"] = c.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["learning_rate"] = SweepTracking.Text(c.LearningRate),
            ["balance"] = c.Balance,
            ["clip"] = $"{config.Clip.Frames}x{config.Clip.Height}x{config.Clip.Width}",
            ["target_classes"] = string.Join(",", targetClasses),
        };
    }
}
