using Augment.Data.Numerics;
using Augment.Data;
using System.CommandLine;
using System.Runtime.InteropServices;
using Augment.Experiments.Cluster;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Report;
using Augment.Tracking;
using Spectre.Console;

namespace Augment.Cli.Commands;

public static class SweepCommand
{
    public static Command Create()
    {
        var configArg = new Argument<string>("config") { Description = "The experiments file (e.g. experiments.yaml)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate the file and show the plan; run nothing." };
        var output = new Option<string?>("--output") { Description = "Write to this folder instead of the file's output_dir." };
        var force = new Option<string[]>("--force")
        {
            Description = "Rerun these stages even where their stored results still match: base, adapter, generation, gating, cell, reference " +
                "(repeatable). Stages that build on a rerun stage rerun only if its result changed.",
            AllowMultipleArgumentsPerToken = true,
        };
        var cmd = new Command("sweep",
            "Run datasets × generators × ratios × seeds: pretrain/adapt/generate once, train a classifier per cell, track every run, " +
            "write the report. Resumable: run it again after a crash or Ctrl+C and it finishes only what is missing.");
        cmd.Arguments.Add(configArg);
        cmd.Options.Add(dryRun);
        cmd.Options.Add(output);
        cmd.Options.Add(force);
        cmd.SetAction(parse => Run(parse.GetValue(configArg)!, parse.GetValue(dryRun), parse.GetValue(output), parse.GetValue(force) ?? [], null));
        cmd.Subcommands.Add(WorkerCommand());
        cmd.Subcommands.Add(SweepStatusCommand.Create());
        return cmd;
    }

    /// <summary>`augment sweep worker`: one of several processes sharing a grid (another terminal, a Kubernetes Indexed
    /// Job, an array task of any scheduler). Stages are claimed, so workers never run one twice.</summary>
    static Command WorkerCommand()
    {
        var configArg = new Argument<string>("config") { Description = "The experiments file." };
        var output = new Option<string?>("--output") { Description = "Write to this folder instead of the file's output_dir." };
        var index = new Option<int?>("--index") { Description = "This worker's share: cells index, index+count, … (default: JOB_COMPLETION_INDEX, else 0)." };
        var count = new Option<int?>("--count") { Description = "How many workers share the grid (default: 1)." };
        var cell = new Option<int?>("--cell") { Description = "Run only the cell at this position of the plan (a Slurm array task)." };
        var generatorsOnly = new Option<bool>("--generators-only") { Description = "Run only the generator stages: base, adapters, generations." };
        var cmd = new Command("worker", "Run this worker's share of the grid in a shared output folder; the worker that completes the grid writes the report.");
        cmd.Arguments.Add(configArg);
        foreach (var o in new Option[] { output, index, count, cell, generatorsOnly }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            int n = parse.GetValue(count) ?? 1;
            int i = parse.GetValue(index) ?? (int.TryParse(Environment.GetEnvironmentVariable("JOB_COMPLETION_INDEX"), out var k) ? k : 0);
            if (n < 1 || i < 0 || i >= n)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]--index {i} --count {n}: the index must be in 0…count−1[/]");
                return CannotStart;
            }
            return Run(parse.GetValue(configArg)!, false, parse.GetValue(output), [], new SweepScope(i, n, parse.GetValue(cell), parse.GetValue(generatorsOnly)));
        });
        return cmd;
    }

    /// <summary>Exit codes, as the README lists them.</summary>
    public const int Ok = 0, Failed = 1, CannotStart = 2, TrackingIncomplete = 3, GridIncomplete = 4, Cancelled = 130;

    static int Run(string configPath, bool dryRun, string? output, string[] forceNames, SweepScope? scope)
    {
        var force = new HashSet<StageKind>();
        foreach (var name in forceNames)
        {
            if (!Enum.TryParse<StageKind>(name.TrimEnd('s'), ignoreCase: true, out var kind) || int.TryParse(name, out _))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]--force {name}: not a stage (base, adapter, generation, gating, cell, reference)[/]");
                return CannotStart;
            }
            force.Add(kind);
        }
        ExperimentConfig config;
        try
        {
            config = ExperimentConfigLoader.Load(configPath, output);
        }
        catch (Exception e) when (e is ConfigException or FileNotFoundException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return CannotStart;
        }
        var plan = SweepPlanner.Plan(config);
        var defaultStore = Path.Combine(config.OutputDir, "mlruns");
        var trackingUri = Trackers.ResolveUri(config.TrackingUri, defaultStore);
        if (scope is null) ShowPlan(plan, trackingUri);
        if (dryRun)
        {
            ShowDecisions(SweepRunner.Preview(plan, force));
            return Ok;
        }

        // Before any data is rendered or anything trains: a tracking URI that cannot work is one line, not a lost hour.
        IExperimentTracker tracker;
        try
        {
            tracker = Trackers.OpenChecked(config.TrackingUri, defaultStore);
        }
        catch (Exception e) when (e is TrackingUnavailableException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{(e is TrackingUnavailableException ? e.Message : $"Tracking URI {trackingUri}: {e.Message}")}[/]");
            return CannotStart;
        }
        if (config.Executor == Executor.Slurm && scope is null) return SubmitToSlurm(plan, force);

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // finish cleanly: the current cell stops at its next batch and is resumed next time
            cancel.Cancel();
            AnsiConsole.MarkupLine("[yellow]Stopping after the current step… (run the same command again to resume)[/]");
        };
        Console.CancelKeyPress += onCancel;
        // Slurm preemption, scancel and `kubectl delete` send SIGTERM before SIGKILL: stop the same clean way, so the
        // cell's checkpoint is consistent and its claim is released for the task that resumes it.
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancel.Cancel();
        });
        SweepOutcome outcome;
        try
        {
            var runner = new SweepRunner(plan, tracker, force, scope) { WriteReport = dir => ReportWriter.Write(dir).Html };
            outcome = AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var cells = ctx.AddTask("cells", maxValue: plan.Cells.Count);
                    var step = ctx.AddTask("starting", maxValue: 1);
                    return runner.Run(new SyncProgress<SweepProgress>(p =>
                    {
                        cells.Value = p.CellsDone;
                        cells.Description = Markup.Escape($"cells {p.CellsDone}/{p.CellsTotal}");
                        step.Description = Markup.Escape(p.Stage.Length > 70 ? p.Stage[..70] + "…" : p.Stage);
                        step.Value = Math.Clamp(p.StageFraction, 0, 1);
                    }), cancel.Token);
                });
        }
        catch (Exception e) when (e is MlflowRestException or TrackingUnavailableException)
        {
            // The runner keeps tracking failures away from cells; should one still escape, it is one line, not a stack trace.
            AnsiConsole.MarkupLineInterpolated($"[red]Tracking failed: {e.Message}[/]");
            return Failed;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
            (tracker as IDisposable)?.Dispose();
        }

        foreach (var rerun in outcome.Reruns)
            AnsiConsole.MarkupLineInterpolated($"[yellow]Reran {rerun.Stage}: {rerun.Why} (the old results are under {Path.Combine(config.OutputDir, "stale")}).[/]");
        var elsewhere = outcome.HeldElsewhere > 0 ? $", {outcome.HeldElsewhere} being run by other workers" : "";
        AnsiConsole.MarkupLineInterpolated(
            $"Cells: {outcome.Finished} run now, {outcome.Skipped} already done, [{(outcome.Failed > 0 ? "red" : "green")}]{outcome.Failed} failed[/] of {outcome.Total}{elsewhere}.");
        foreach (var f in outcome.Failures)
            AnsiConsole.MarkupLineInterpolated($"[red]  {f.Key}: {f.Error}[/]");
        var withSkips = plan.Cells.Select(c => CellResult.TryRead(c.Dir)).Where(r => r is { SkippedSteps: > 0 }).ToList();
        if (withSkips.Count > 0)
            AnsiConsole.MarkupLineInterpolated($"[yellow]{withSkips.Count} cell(s) skipped {withSkips.Sum(r => r!.SkippedSteps)} training steps whose loss or gradient was not finite (skipped_steps in their result.json).[/]");
        if (ComputePath.Ensure() is { Notice: { } notice }) AnsiConsole.MarkupLineInterpolated($"[yellow]{notice}[/]");
        if (outcome.Cancelled) AnsiConsole.MarkupLine("[yellow]Cancelled. Run the same command again to finish the grid.[/]");
        AnsiConsole.MarkupLineInterpolated($"Tracking: {trackingUri}");
        // A worker with part of the grid writes no report; the one that completes the grid (or the report job) does.
        bool reportDue = scope is null || scope.IsWhole;
        if (outcome.ReportHtml is not null) AnsiConsole.MarkupLineInterpolated($"Report: [bold]{outcome.ReportHtml}[/]");
        else if ((reportDue && outcome.HeldElsewhere == 0) || outcome.ReportError is not null) AnsiConsole.MarkupLineInterpolated($"[red]Report not written: {outcome.ReportError}[/]");
        else AnsiConsole.MarkupLine("Report: not written by this worker (the report job, or the worker that completes the grid, writes it).");
        if (!outcome.TrackingComplete) ShowUntracked(outcome, trackingUri);
        if (outcome.HeldElsewhere > 0 && reportDue)
            AnsiConsole.MarkupLineInterpolated($"[red]The grid is not finished: {outcome.HeldElsewhere} cell(s) are held by other live workers, so no report was written. Run this again once they finish (augment sweep status {config.SourcePath}).[/]");
        return outcome.Cancelled ? Cancelled
            : outcome.HeldElsewhere > 0 && reportDue ? GridIncomplete
            : outcome.Failed > 0 || (reportDue && outcome.ReportHtml is null) || outcome.ReportError is not null ? Failed
            : outcome.TrackingComplete ? Ok : TrackingIncomplete;
    }

    /// <summary>executor: slurm — submit what is left as jobs and return; nothing runs in this process.</summary>
    static int SubmitToSlurm(SweepPlan plan, IReadOnlySet<StageKind> force)
    {
        var slurm = new SlurmExecutor(plan.Config, SlurmExecutor.RunCommand);
        try
        {
            var queued = slurm.Queued(plan);
            if (queued.Count > 0)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]This sweep already has jobs in the queue ({string.Join(", ", queued.Select(q => $"{q.Name} {q.Id} {q.State}"))}); nothing submitted. Follow it with: augment sweep status {plan.Config.SourcePath}[/]");
                return Ok;
            }
            var datasets = SweepRunner.LoadExisting(plan.Config); // once: the preview, the retirement and the re-preview share it
            var decisions = SweepRunner.Preview(plan, force, datasets);
            if (force.Count > 0)
            {
                var retired = SweepRunner.RetireForced(plan, decisions, datasets);
                AnsiConsole.MarkupLineInterpolated($"--force: {retired.Count} stage(s) moved under {Path.Combine(plan.Config.OutputDir, "stale")} so their tasks run them again.");
                decisions = SweepRunner.Preview(plan, new HashSet<StageKind>(), datasets);
            }
            if (slurm.Graph(plan, decisions, out _).Count == 0)
            {
                AnsiConsole.MarkupLine("[green]Every stage is done and the report is written; nothing to submit.[/]");
                return Ok;
            }
            var submission = slurm.Submit(plan, decisions);
            foreach (var (name, id) in submission.JobIds) AnsiConsole.MarkupLineInterpolated($"Submitted {name}: job {id}");
            AnsiConsole.MarkupLineInterpolated($"{submission.Cells.Count} cell(s) as array tasks; logs in {submission.LogsDir}. Follow it with: augment sweep status {plan.Config.SourcePath}");
            return Ok;
        }
        catch (InvalidOperationException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return Failed;
        }
    }

    // Last, so it is the last thing on screen: results are safe, the tracker is not up to date.
    static void ShowUntracked(SweepOutcome outcome, string trackingUri)
    {
        AnsiConsole.MarkupLineInterpolated($"[bold red]TRACKING INCOMPLETE[/] [red]in {trackingUri}:[/]");
        foreach (var (key, why) in outcome.Untracked)
            AnsiConsole.MarkupLineInterpolated($"[red]  cell {key} is not (fully) tracked: {why}[/]");
        if (outcome.TrackingError is { } parentError)
            AnsiConsole.MarkupLineInterpolated($"[red]  the sweep's parent run: {parentError}[/]");
        AnsiConsole.MarkupLineInterpolated(
            $"[yellow]The cells' local files (result.json, metrics.json, predictions.csv, history.json) are the record and are complete. Run the same command again once the tracker is reachable: it logs only what is missing (exit code {TrackingIncomplete} until then).[/]");
    }

    /// <summary>--dry-run: how many stages each action covers, and every rerun with the inputs that changed.</summary>
    static void ShowDecisions(IReadOnlyList<StageDecision> decisions)
    {
        AnsiConsole.MarkupLineInterpolated($"Stages: {string.Join(", ", decisions.GroupBy(d => d.Action).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}"))}.");
        var table = new Table().AddColumns("Stage", "Action", "Why");
        foreach (var d in decisions.Where(d => d.Action != StageAction.Reuse))
            table.AddRow(Markup.Escape(d.Stage), d.Action == StageAction.Rerun ? "[yellow]rerun[/]" : d.Action.ToString().ToLowerInvariant(),
                Markup.Escape(d.Why ?? (d.Action == StageAction.Resume ? "unfinished, same inputs: continues from its partial files" : "no result yet")));
        if (table.Rows.Count > 0) AnsiConsole.Write(table);
    }

    static void ShowPlan(SweepPlan plan, string trackingUri)
    {
        var c = plan.Config;
        var table = new Table().Title($"Sweep plan: {Markup.Escape(c.Experiment)} (profile {c.Profile})")
            .AddColumns("Dataset", "Generator", "Backend", "Ratios", "Seeds", "Cells", "Done");
        foreach (var group in plan.Cells.GroupBy(x => (x.Dataset, x.Generator)))
        {
            var gen = c.Generators.FirstOrDefault(g => g.Name == group.Key.Generator);
            var backend = gen is null ? "none" : gen.Backend.Summary(gen);
            table.AddRow(
                Markup.Escape(group.Key.Dataset), Markup.Escape(gen?.Label ?? c.RealOnlyLabel), backend,
                string.Join(", ", group.Select(x => x.Ratio).Distinct().Select(SweepPlanner.RatioText)),
                string.Join(", ", group.Select(x => x.Seed).Distinct()),
                group.Count().ToString(),
                group.Count(x => CellResult.TryRead(x.Dir)?.Status == CellStatus.Finished).ToString());
        }
        AnsiConsole.Write(table);
        var maxRatio = SweepPlanner.RatioText(plan.Generations.FirstOrDefault()?.MaxRatio ?? 0);
        AnsiConsole.MarkupLineInterpolated(
            $"{plan.Cells.Count} classifier runs; {plan.Generations.Count} generation runs (one per dataset × generator × seed, at ratio {maxRatio}); base generator pretraining: {(plan.NeedsBaseGenerator ? "once" : "not needed")}; LoRA adapters: {plan.AdaptedDatasets.Count + plan.AdaptedCorpora.Count + plan.BackendStages.Count(s => s.Kind == StageKind.Adapter)}.");
        AnsiConsole.MarkupLineInterpolated($"Clip {c.Clip.Frames}×{c.Clip.Height}×{c.Clip.Width}; classifier {c.Classifier.Model} width {c.Classifier.Width}, {c.Classifier.Epochs} epochs.");
        AnsiConsole.MarkupLineInterpolated($"Output: {c.OutputDir}   Tracking: {trackingUri}");
    }
}
