using System.Diagnostics;
using System.Globalization;
using Augment.Classifier;
using Augment.Data;
using Augment.Data.Numerics;
using Augment.Data.Video;
using Augment.Experiments.Cluster;
using Augment.Experiments.Backends;
using Augment.Experiments.Config;
using Augment.Tracking;
using Augment.Synthetic;

namespace Augment.Experiments.Sweep;

/// <summary>Where the sweep is: the current step (with its own fraction done) and the cells done so far.</summary>
public sealed record SweepProgress(string Stage, double StageFraction, int CellsDone, int CellsTotal, CellResult? CellFinished = null);

/// <summary>
/// Which part of the grid one worker takes: every cell (the default), every count-th cell from index (workers sharing
/// the grid), one cell (a Slurm array task), or only the generator stages (the Slurm job the cells wait for).
/// </summary>
public sealed record SweepScope(int Index = 0, int Count = 1, int? Cell = null, bool GeneratorsOnly = false)
{
    public bool IsWhole => Count == 1 && Cell is null && !GeneratorsOnly;
    public bool Includes(int position) => !GeneratorsOnly && (Cell is { } c ? position == c : position % Count == Index);
}

public sealed record SweepOutcome(int Total, int Finished, int Skipped, int Failed, bool Cancelled,
    IReadOnlyList<CellResult> Failures, string? ReportHtml, string? ReportError, IReadOnlyList<StageDecision> Reruns)
{
    public bool Complete => !Cancelled && Finished + Skipped == Total;
    /// <summary>Cells of this worker's share that another live worker was running (left to it).</summary>
    public int HeldElsewhere { get; init; }
    /// <summary>Finished cells (run now or reused) whose run the tracker still lacks or holds incomplete, with why.</summary>
    public IReadOnlyDictionary<string, string> Untracked { get; init; } = new Dictionary<string, string>();
    /// <summary>Why the sweep's parent run could not be opened or closed, or null.</summary>
    public string? TrackingError { get; init; }
    public bool TrackingComplete => Untracked.Count == 0 && TrackingError is null;
}

/// <summary>
/// Runs a plan's cells in order, each to a result.json written atomically in its own folder. A cell whose result.json
/// says finished and whose fingerprint still matches the plan is skipped, so a sweep killed at any moment is finished by
/// running it again, and an edited experiments.yaml reruns exactly the stages it affects (SweepStages); the pieces a cell
/// needs (datasets, base generator, adapter, generation) are made on first need and reused. One failing cell is recorded
/// and the others still run. Ends with the report. Stages named in <paramref name="force"/> rerun once regardless.
/// Tracking never fails a cell or stops the sweep: the cell's local files are written first and are the record; what
/// the tracker missed is listed in the outcome and backfilled by the next run. Several runners (workers) may share one
/// output folder: each stage is claimed before it runs (StageClaims), so none runs twice.
/// </summary>
public sealed class SweepRunner(SweepPlan plan, IExperimentTracker tracker, IReadOnlySet<StageKind>? force = null,
    SweepScope? scope = null, StageClaims? claims = null)
{
    readonly ExperimentConfig config = plan.Config;
    readonly SweepScope scope = scope ?? new SweepScope();
    readonly StageClaims claims = claims ?? new StageClaims(plan.Config.OutputDir, StageClaims.DefaultWorker());
    SweepGenerators? generators;
    SweepStages? stages;
    StageRunner? runner;

    /// <summary>Writes the report of a run folder and returns its HTML path. The report is its own project, which reads
    /// what the sweep stored; whoever runs the sweep (the CLI) passes it in. Null: no report.</summary>
    public Func<string, string>? WriteReport { get; init; }

    /// <summary>How long a cancelled sweep waits for its queued tracking calls (the cancelled cell's End(Killed), the
    /// parent's): 10 s by default, well inside Slurm's default KillWait of 30 s between SIGTERM and SIGKILL.</summary>
    public TimeSpan KillWait { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Generation runs executed by this runner (not skipped as already done).</summary>
    public int GenerationsRun => generators?.GenerationsRun ?? 0;

    /// <summary>Classifier trainings executed by this runner.</summary>
    public int CellsTrained { get; private set; }

    public SweepOutcome Run(IProgress<SweepProgress>? progress = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(config.OutputDir);
        int total = plan.Cells.Where((_, i) => scope.Includes(i)).Count(), done = 0;
        void Report(string stage, double fraction) => progress?.Report(new SweepProgress(stage, fraction, done, total));

        var cache = new ClipCache(Path.Combine(config.OutputDir, "cache"));
        var datasets = new Dictionary<string, SweepDataset>();
        var datasetErrors = new Dictionary<string, string>();
        foreach (var entry in config.Datasets)
        {
            Report($"loading dataset {entry.Name}", 0);
            try
            {
                // One worker renders the demo; the others wait for it and load what it wrote.
                using var claim = entry.IsDemo ? claims.Take($"dataset {entry.Name}", () => false, _ => Report($"waiting for the demo dataset {entry.Name}", 0), cancel) : null;
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
            SweepSummary.From(plan, datasets) with
            {
                Numerics = Describe(numerics), NumericsFallback = numerics.Check is { Ok: false } || !numerics.OneDnnEnabled,
            });
        foreach (var ds in datasets.Values)
            Augment.Data.Datasets.DatasetTables.WriteQuarantine(ds.Data, Path.Combine(config.OutputDir, "datasets", ds.Entry.Name, "quarantine.csv"));

        SweepTracking? tracking = null;
        string? trackingDown = null;
        try
        {
            // Claimed so that workers starting together open one parent run, not one each.
            using var claim = claims.Take("tracking", () => false, _ => Report("waiting for another worker to open the tracked run", 0), cancel);
            tracking = new SweepTracking(tracker, config.Experiment, plan.SweepKey, $"sweep {config.Experiment}", SweepParams(), VersionTags());
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            trackingDown = e.Message;
        }
        var generatorConfig = SweepGenerators.BuildConfig(config);
        stages = new SweepStages(config, datasets, generatorConfig, force ?? new HashSet<StageKind>(), cache);
        runner = new StageRunner(stages, claims);
        generators = new SweepGenerators(config, datasets, cache, stages, generatorConfig, runner);

        var untracked = new Dictionary<string, string>();
        // Every tracker call from here on is made on this queue's thread (see TrackingQueue).
        using var queue = new TrackingQueue(tracking, trackingDown);
        // One guard for all backfills: after the first failure the rest wait for the next run instead of each waiting out the retries.
        var backfill = queue.Guard();
        var failures = new List<CellResult>();
        int finished = 0, skipped = 0, heldElsewhere = 0;
        bool cancelled = false;
        try
        {
            if (scope.GeneratorsOnly) EnsureGenerations(datasetErrors, failures, Report, cancel);
            for (int position = 0; position < plan.Cells.Count; position++)
            {
                var cell = plan.Cells[position];
                if (!scope.Includes(position)) continue;
                cancel.ThrowIfCancellationRequested();
                if (datasetErrors.TryGetValue(cell.Dataset, out var loadError))
                {
                    failures.Add(Failed(cell, loadError, 0));
                    continue;
                }
                var decision = stages.Cell(cell, GenerationOf(cell));
                if (decision.Action == StageAction.Reuse)
                {
                    var reused = CellResult.TryRead(cell.Dir)!;
                    var print = Fingerprint.TryRead(cell.Dir)!.Hash;
                    if (tracking?.NeedsBackfill(cell, print) ?? true) Backfill(cell, reused, print, backfill, untracked);
                    skipped++; done++;
                    continue;
                }
                // A worker told to run this very cell (an array task) waits for a holder that may be its own killed
                // predecessor (its claim expires); a worker with a share leaves a held cell to its holder.
                using var claim = scope.Cell is null ? claims.TryTake(decision.Stage)
                    : claims.Take(decision.Stage, () => stages.Cell(cell, GenerationOf(cell)).Action == StageAction.Reuse,
                        holder => Report($"waiting for {holder.Worker}, which holds {cell.Key}", 0), cancel);
                if (claim is null)
                {
                    if (scope.Cell is null) heldElsewhere++;
                    else { skipped++; done++; }
                    continue;
                }
                var log = queue.Guard();
                var result = RunCell(cell, datasets[cell.Dataset], cache, log, Report, cancel);
                // result.json is written: the cell is done whatever the tracker does. Its calls, queued while it trained,
                // are waited for before it is counted, so its run is complete or it is listed as untracked. Ctrl-C here
                // leaves them to the bounded wait below (the next sweep backfills the cell, reused).
                log.Drain(Timeout.InfiniteTimeSpan, cancel);
                if (log.RunId is { } runId && result.TrackingRunId != runId)
                    AtomicFile.WriteJson(Path.Combine(cell.Dir, CellResult.FileName), result = result with { TrackingRunId = runId });
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
            // An array task runs its one cell; the generators job (or any other worker) measures the generations.
            if (scope.Cell is null) MeasureGenerations(datasets, cache, queue.Guard(), untracked, Report, cancel);
        }
        catch (OperationCanceledException)
        {
            cancelled = true;
        }
        // A worker closes the sweep's run and writes the report only when the whole grid has results, not just its share.
        var results = plan.Cells.Select(c => CellResult.TryRead(c.Dir)).ToList();
        bool gridDone = results.All(r => r is not null);
        var parent = queue.Guard();
        // A parent with a child the tracker lacks stays RUNNING: the run that backfills the child closes it.
        if (cancelled || (gridDone && untracked.Count == 0))
        {
            var status = cancelled ? RunStatus.Killed : results.Any(r => r!.Status == CellStatus.Failed) ? RunStatus.Failed : RunStatus.Finished;
            parent.Post(t => t.End(t.ParentRunId, status));
        }
        // Cancelled (Ctrl-C, SIGTERM), the cancelled cell's End(Killed) and the parent's reach the tracker if it answers
        // within KillWait; the process does not wait out an outage's retries to stop.
        parent.Drain(cancelled ? KillWait : Timeout.InfiniteTimeSpan);

        string? html = null, reportError = null;
        if (WriteReport is not null && gridDone && (scope.IsWhole || (scope.Cell is null && !scope.GeneratorsOnly)))
        {
            try
            {
                Report("writing the report", 0);
                html = WriteReport(config.OutputDir);
            }
            catch (Exception e)
            {
                reportError = e.Message;
            }
        }
        return new SweepOutcome(total, finished, skipped, failures.Count, cancelled, failures, html, reportError, stages!.Reruns)
        {
            Untracked = untracked, TrackingError = parent.Error, HeldElsewhere = heldElsewhere,
        };
    }

    /// <summary>Every generation of the plan (with the base and adapters they need), each failure recorded as a
    /// failed "cell" of this worker so the exit code shows it; the cells that need it fail with the same error later.</summary>
    void EnsureGenerations(Dictionary<string, string> datasetErrors, List<CellResult> failures, Action<string, double> report, CancellationToken cancel)
    {
        foreach (var generation in plan.Generations.Where(g => !datasetErrors.ContainsKey(g.Dataset)))
        {
            try { generators!.EnsureGating(generation, report, cancel); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add(new CellResult
                {
                    Key = generation.Stage, Dataset = generation.Dataset,
                    Generator = generation.Generator, Ratio = generation.MaxRatio, Seed = generation.Seed, Status = CellStatus.Failed, Error = e.Message,
                });
            }
        }
    }

    void Backfill(CellPlan cell, CellResult reused, string fingerprint, TrackingGuard backfill, Dictionary<string, string> untracked)
    {
        string? runId = null;
        if (!backfill.Try(t => runId = t.Backfill(cell, CellParams(cell, reused.TargetClasses), fingerprint)))
            untracked[cell.Key] = backfill.Error!;
        // A new server or experiment gives the cell a new run: result.json points at the one that now holds it.
        else if (runId != reused.TrackingRunId)
            AtomicFile.WriteJson(Path.Combine(cell.Dir, CellResult.FileName), reused with { TrackingRunId = runId });
    }

    /// <summary>Generations measured for quality by this runner (not reused).</summary>
    public int QualityMeasured { get; private set; }

    /// <summary>
    /// quality.json for every finished generation (SweepQuality). A measurement that fails is reported on stderr and in
    /// the report's warnings (the generation has no quality.json); it never fails the sweep's cells.
    /// </summary>
    /// A stored measurement the parent run lacks (logged while the server was down, or a finished folder tracked into a
    /// new server or experiment) is logged from quality.json; one that cannot be logged is listed as untracked.
    void MeasureGenerations(Dictionary<string, SweepDataset> datasets, ClipCache cache, TrackingGuard log,
        Dictionary<string, string> untracked, Action<string, double> report, CancellationToken cancel)
    {
        using var quality = new SweepQuality(config, datasets, cache, stages!, claims, runner!);
        // The upper bound's clips are real training clips the reference classifier trained on: nothing to measure.
        var unmeasured = config.Generators.Where(g => !g.Backend.MeasuresQuality).Select(g => g.Name).ToHashSet();
        foreach (var generation in plan.Generations.Where(g => datasets.ContainsKey(g.Dataset) && !unmeasured.Contains(g.Generator)))
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                // Tracking through the guard: a tracker that is down (or absent) must not read as "not measured".
                if (quality.Ensure(generation, report, cancel) is not ({ } measured, _)) continue;
                // Workers sharing the grid log each measurement once: one at a time, each asking the tracker afresh.
                using var claim = claims.Take($"quality log {generation.Stage}", () => false, _ => { }, cancel);
                if (!log.Try(t => { if (!t.HasQuality(generation, measured)) t.LogQuality(generation, measured); }) && log.Error is { } error)
                    untracked[$"quality {generation.Stage}"] = error;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Console.Error.WriteLine($"generation quality {generation.Dataset}/{generation.Generator}/s{generation.Seed} not measured: {e.Message}");
            }
        }
        QualityMeasured = quality.Measured;
    }

    GenerationPlan? GenerationOf(CellPlan cell) => GenerationOf(plan, cell);

    static GenerationPlan? GenerationOf(SweepPlan plan, CellPlan cell) => cell.IsRealOnly ? null
        : plan.Generations.Single(g => g.Dataset == cell.Dataset && g.Generator == cell.Generator && g.Seed == cell.Seed);

    /// <summary>
    /// What a run would do with every stage, touching nothing: the same decisions the runner makes. A dataset that is
    /// not on disk yet (the demo before its first render) or cannot be loaded makes its stages "run".
    /// </summary>
    public static IReadOnlyList<StageDecision> Preview(SweepPlan plan, IReadOnlySet<StageKind> force,
        IReadOnlyDictionary<string, SweepDataset>? loaded = null)
    {
        var config = plan.Config;
        var datasets = loaded ?? LoadExisting(config);
        var stages = StagesOf(config, datasets, force);
        bool Loaded(string dataset) => datasets.ContainsKey(dataset);
        bool poolLoaded = config.Generator.PretrainPool.All(p => p == "general" || Loaded(p));
        var decisions = new List<StageDecision>();
        if (plan.NeedsBaseGenerator) decisions.Add(poolLoaded ? stages.Base() : new(SweepStages.BaseStage, StageKind.Base, StageAction.Run));
        decisions.AddRange(plan.AdaptedDatasets.Select(d => poolLoaded && Loaded(d) ? stages.Adapter(d) : new(SweepStages.AdapterStage(d), StageKind.Adapter, StageAction.Run)));
        decisions.AddRange(plan.AdaptedCorpora.Select(c => poolLoaded ? stages.CorpusAdapter(c) : new(SweepStages.CorpusAdapterStage(c), StageKind.Adapter, StageAction.Run)));
        decisions.AddRange(plan.BackendStages.Select(s => Loaded(s.Dataset) ? s.Decide(stages) : new(s.Name, s.Kind, StageAction.Run)));
        decisions.AddRange(plan.Generations.Select(g => poolLoaded && Loaded(g.Dataset) ? stages.Generation(g)
            : new(g.Stage, StageKind.Generation, StageAction.Run)));
        decisions.AddRange(plan.Generations.Select(g => poolLoaded && Loaded(g.Dataset) ? stages.Gating(g)
            : new(g.GatingStage, StageKind.Gating, StageAction.Run)));
        decisions.AddRange(plan.Cells.Select(c => poolLoaded && Loaded(c.Dataset) ? stages.Cell(c, GenerationOf(plan, c))
            : new(c.Stage, StageKind.Cell, StageAction.Run)));
        var unmeasured = config.Generators.Where(g => !g.Backend.MeasuresQuality).Select(g => g.Name).ToHashSet();
        decisions.AddRange(plan.Generations.Where(g => !unmeasured.Contains(g.Generator)).Select(g => g.Dataset).Distinct()
            .Select(d => Loaded(d) ? stages.Reference(d) : new(SweepStages.ReferenceStage(d), StageKind.Reference, StageAction.Run)));
        return decisions;
    }

    /// <summary>
    /// --force for stages other processes will run (Slurm tasks, which are not told to force): the forced stages' folders
    /// are moved under stale/ now, so each is found undone and run once, however often its task is requeued. Returns the
    /// stages retired.
    /// </summary>
    public static IReadOnlyList<string> RetireForced(SweepPlan plan, IReadOnlyList<StageDecision> decisions,
        IReadOnlyDictionary<string, SweepDataset> loaded)
    {
        var config = plan.Config;
        var stages = StagesOf(config, loaded, new HashSet<StageKind>());
        var dirs = new Dictionary<string, string> { [SweepStages.BaseStage] = stages.BaseDir };
        foreach (var d in plan.AdaptedDatasets) dirs[SweepStages.AdapterStage(d)] = stages.AdapterDir(d);
        foreach (var s in plan.BackendStages) dirs[s.Name] = s.Dir;
        foreach (var g in plan.Generations)
        {
            (dirs[g.Stage], dirs[g.GatingStage]) = (g.Dir, g.GatingDir);
            dirs[SweepStages.ReferenceStage(g.Dataset)] = stages.ReferenceDir(g.Dataset);
        }
        foreach (var c in plan.Cells) dirs[c.Stage] = c.Dir;
        var retired = decisions.Where(d => d.Action == StageAction.Rerun && d.Why?.StartsWith("--force", StringComparison.Ordinal) == true)
            .Select(d => d.Stage).ToList();
        foreach (var stage in retired) SweepStages.MoveAside(config.OutputDir, dirs[stage]);
        return retired;
    }

    /// <summary>The stage decisions and folders of a sweep that is not running (previews, status, submission).</summary>
    static SweepStages StagesOf(ExperimentConfig config, IReadOnlyDictionary<string, SweepDataset> datasets, IReadOnlySet<StageKind> force) =>
        new(config, datasets, SweepGenerators.BuildConfig(config), force, new ClipCache(Path.Combine(config.OutputDir, "cache")));

    /// <summary>The datasets that can be loaded without rendering anything (for previews and status).</summary>
    public static IReadOnlyDictionary<string, SweepDataset> LoadExisting(ExperimentConfig config)
    {
        var datasets = new Dictionary<string, SweepDataset>();
        foreach (var entry in config.Datasets.Where(e => !e.IsDemo || File.Exists(Path.Combine(e.Root, "dataset.yaml"))))
        {
            try { datasets[entry.Name] = SweepDataset.Load(entry, config.SourcePath); }
            catch (Exception e) when (e is not OperationCanceledException) { }
        }
        return datasets;
    }

    CellResult RunCell(CellPlan cell, SweepDataset ds, ClipCache cache, TrackingGuard log,
        Action<string, double> report, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            string? manifest = null;
            var generation = GenerationOf(cell);
            if (generation is not null)
            {
                var gating = generators!.EnsureGating(generation, report, cancel);
                manifest = Path.Combine(generation.GatingDir, gating.Manifest);
            }
            // Decided again now that the generation is current: its new result is part of the cell's fingerprint.
            var print = stages!.CellPrint(cell, generation)!;
            if (!stages.Begin(stages.Cell(cell, generation), cell.Dir, print)) return CellResult.TryRead(cell.Dir)!;
            var mix = new MixOptions(manifest, cell.Ratio, ds.TargetClasses);
            var (parameters, versionTags) = (CellParams(cell, ds.TargetClasses), VersionTags());
            // An augmented cell that cannot get the synthetic clips it asks for would only measure real data again.
            if (manifest is not null && Shortfall(SyntheticMixer.Mix(ds.Data, mix).Summary, manifest) is { } planned)
            {
                log.Post(t => log.RunId = t.FailCell(cell, parameters, print.Hash, versionTags, planned));
                return Failed(cell, planned, clock.Elapsed.TotalSeconds, shortfall: true);
            }
            // Queued, like every call below: the guard makes the later ones only when StartCell went through, so the
            // run id they read is set.
            log.Post(t => log.RunId = t.StartCell(cell, parameters, print.Hash, versionTags));
            var options = config.Classifier with { Seed = cell.Seed, Resume = true };
            var request = new TrainRequest(ds.Data, config.Clip, cache, options, mix, cell.Dir);
            var trained = ClassifierTrainer.Train(request, new SyncProgress<EpochReport>(e =>
            {
                log.Post(t => t.LogEpoch(log.RunId!, e));
                report($"{cell.Key}: epoch {e.Epoch}/{options.Epochs}, val macro-F1 {e.ValMacroF1:0.000}", (double)e.Epoch / options.Epochs);
            }), cancel);
            CellsTrained++;
            if (manifest is not null && Shortfall(trained.Mix, manifest) is { } loaded)
            {
                log.Post(t => t.End(log.RunId!, RunStatus.Failed));
                return Failed(cell, loaded, clock.Elapsed.TotalSeconds, shortfall: true);
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
                SyntheticUsed = trained.Mix.Synthetic, SkippedSteps = trained.SkippedSteps,
                Seconds = clock.Elapsed.TotalSeconds, FinishedAt = DateTimeOffset.UtcNow,
            };
            // result.json before the tracking is done: the cell is done whatever the tracker does (its run id is added
            // once known); what the run missed, the next sweep backfills from these files (NeedsBackfill: the run is
            // FINISHED only once all of it is in).
            AtomicFile.WriteJson(Path.Combine(cell.Dir, CellResult.FileName), result);
            var lastEpoch = trained.History.Count == 0 ? 0 : trained.History[^1].Epoch;
            log.Post(t => t.LogTest(log.RunId!, m, lastEpoch));
            log.Post(t => t.LogArtifacts(log.RunId!, cell.Dir, SweepTracking.CellArtifacts));
            log.Post(t => t.End(log.RunId!, RunStatus.Finished));
            return result;
        }
        // Whether StartCell went through is known only on the tracking thread, which decides there.
        catch (OperationCanceledException)
        {
            log.Post(t => { if (log.RunId is { } id) t.End(id, RunStatus.Killed); });
            throw;
        }
        catch (Exception e)
        {
            log.Post(t => { if (log.RunId is { } id) t.End(id, RunStatus.Failed); });
            return Failed(cell, e.Message, clock.Elapsed.TotalSeconds);
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

    static CellResult Failed(CellPlan cell, string error, double seconds, bool shortfall = false)
    {
        var result = new CellResult
        {
            Key = cell.Key, Dataset = cell.Dataset, Generator = cell.Generator ?? "real", Ratio = cell.Ratio, Seed = cell.Seed,
            Status = CellStatus.Failed, Error = error, SyntheticShortfall = shortfall, Seconds = seconds,
            FinishedAt = DateTimeOffset.UtcNow,
        };
        AtomicFile.WriteJson(Path.Combine(cell.Dir, CellResult.FileName), result);
        return result;
    }

    Dictionary<string, string> SweepParams() => new()
    {
        ["config"] = config.SourcePath,
        ["profile"] = config.Profile,
        ["datasets"] = string.Join(",", config.Datasets.Select(d => d.Name)),
        ["generators"] = string.Join(",", config.Generators.Select(g => g.Name)),
        ["ratios"] = string.Join(",", config.Ratios.Select(SweepPlanner.RatioText)),
        ["seeds"] = string.Join(",", config.Seeds),
        ["cells"] = plan.Cells.Count.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The code that ran and the experiments file it ran: tags, not params, because they may change while a
    /// resumed run's settings (its params and fingerprint) do not.</summary>
    Dictionary<string, string> VersionTags() => new()
    {
        ["augment.code_commit"] = CodeVersion.Commit,
        ["augment.code_sources"] = CodeVersion.Sources,
        ["augment.config_sha256"] = File.Exists(config.SourcePath) ? FileHash.Sha256(config.SourcePath) : "none",
    };

    Dictionary<string, string> CellParams(CellPlan cell, IReadOnlyList<string> targetClasses)
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
            ["profile"] = config.Profile,
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
