using Augment.Data.Numerics;
using Augment.Data;
using System.CommandLine;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Experiments.Tracking;
using Spectre.Console;

namespace Augment.Experiments.Cli;

public static class SweepCommand
{
    public static Command Create()
    {
        var configArg = new Argument<string>("config") { Description = "The experiments file (e.g. experiments.yaml)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Validate the file and show the plan; run nothing." };
        var output = new Option<string?>("--output") { Description = "Write to this folder instead of the file's output_dir." };
        var cmd = new Command("sweep",
            "Run datasets × generators × ratios × seeds: pretrain/adapt/generate once, train a classifier per cell, track every run, " +
            "write the report. Resumable: run it again after a crash or Ctrl+C and it finishes only what is missing.");
        cmd.Arguments.Add(configArg);
        cmd.Options.Add(dryRun);
        cmd.Options.Add(output);
        cmd.SetAction(parse => Run(parse.GetValue(configArg)!, parse.GetValue(dryRun), parse.GetValue(output)));
        return cmd;
    }

    /// <summary>Exit codes, as the README lists them.</summary>
    public const int Ok = 0, Failed = 1, CannotStart = 2, TrackingIncomplete = 3, Cancelled = 130;

    static int Run(string configPath, bool dryRun, string? output)
    {
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
        ShowPlan(plan, trackingUri);
        if (dryRun) return Ok;

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

        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true; // finish cleanly: the current cell stops at its next batch and is resumed next time
            cancel.Cancel();
            AnsiConsole.MarkupLine("[yellow]Stopping after the current step… (run the same command again to resume)[/]");
        };
        Console.CancelKeyPress += onCancel;
        SweepOutcome outcome;
        try
        {
            var runner = new SweepRunner(plan, tracker);
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

        AnsiConsole.MarkupLineInterpolated(
            $"Cells: {outcome.Finished} run now, {outcome.Skipped} already done, [{(outcome.Failed > 0 ? "red" : "green")}]{outcome.Failed} failed[/] of {outcome.Total}.");
        foreach (var f in outcome.Failures)
            AnsiConsole.MarkupLineInterpolated($"[red]  {f.Key}: {f.Error}[/]");
        var withSkips = plan.Cells.Select(c => CellResult.TryRead(c.Dir)).Where(r => r is { SkippedSteps: > 0 }).ToList();
        if (withSkips.Count > 0)
            AnsiConsole.MarkupLineInterpolated($"[yellow]{withSkips.Count} cell(s) skipped {withSkips.Sum(r => r!.SkippedSteps)} training steps whose loss or gradient was not finite (skipped_steps in their result.json).[/]");
        if (ComputePath.Ensure() is { Notice: { } notice }) AnsiConsole.MarkupLineInterpolated($"[yellow]{notice}[/]");
        if (outcome.Cancelled) AnsiConsole.MarkupLine("[yellow]Cancelled. Run the same command again to finish the grid.[/]");
        AnsiConsole.MarkupLineInterpolated($"Tracking: {trackingUri}");
        if (outcome.ReportHtml is not null) AnsiConsole.MarkupLineInterpolated($"Report: [bold]{outcome.ReportHtml}[/]");
        else AnsiConsole.MarkupLineInterpolated($"[red]Report not written: {outcome.ReportError}[/]");
        if (!outcome.TrackingComplete) ShowUntracked(outcome, trackingUri);
        return outcome.Cancelled ? Cancelled
            : outcome.Failed > 0 || outcome.ReportHtml is null ? Failed
            : outcome.TrackingComplete ? Ok : TrackingIncomplete;
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

    static void ShowPlan(SweepPlan plan, string trackingUri)
    {
        var c = plan.Config;
        var table = new Table().Title($"Sweep plan: {Markup.Escape(c.Experiment)} (profile {ProfileDefaults.Name(c.Profile)})")
            .AddColumns("Dataset", "Generator", "Backend", "Ratios", "Seeds", "Cells", "Done");
        foreach (var group in plan.Cells.GroupBy(x => (x.Dataset, x.Generator)))
        {
            var gen = c.Generators.FirstOrDefault(g => g.Name == group.Key.Generator);
            var backend = gen is null ? "none" : gen.Backend == GeneratorBackend.Native ? (gen.Adapt ? "native + LoRA" : "native (base)") : gen.Backend.ToString().ToLowerInvariant();
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
            $"{plan.Cells.Count} classifier runs; {plan.Generations.Count} generation runs (one per dataset × generator × seed, at ratio {maxRatio}); base generator pretraining: {(plan.NeedsBaseGenerator ? "once" : "not needed")}; LoRA adapters: {plan.AdaptedDatasets.Count}.");
        AnsiConsole.MarkupLineInterpolated($"Clip {c.Clip.Frames}×{c.Clip.Height}×{c.Clip.Width}; classifier {c.Classifier.Model} width {c.Classifier.Width}, {c.Classifier.Epochs} epochs.");
        AnsiConsole.MarkupLineInterpolated($"Output: {c.OutputDir}   Tracking: {trackingUri}");
    }
}
