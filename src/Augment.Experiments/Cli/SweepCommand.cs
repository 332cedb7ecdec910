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
        var force = new Option<string[]>("--force")
        {
            Description = "Rerun these stages even where their stored results still match: base, adapter, generation, cell, reference " +
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
        cmd.SetAction(parse => Run(parse.GetValue(configArg)!, parse.GetValue(dryRun), parse.GetValue(output), parse.GetValue(force) ?? []));
        return cmd;
    }

    static int Run(string configPath, bool dryRun, string? output, string[] forceNames)
    {
        var force = new HashSet<StageKind>();
        foreach (var name in forceNames)
        {
            if (!Enum.TryParse<StageKind>(name.TrimEnd('s'), ignoreCase: true, out var kind) || int.TryParse(name, out _))
            {
                AnsiConsole.MarkupLineInterpolated($"[red]--force {name}: not a stage (base, adapter, generation, cell, reference)[/]");
                return 2;
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
            return 2;
        }
        var plan = SweepPlanner.Plan(config);
        var trackingUri = Trackers.ResolveUri(config.TrackingUri, Path.Combine(config.OutputDir, "mlruns"));
        ShowPlan(plan, trackingUri);
        if (dryRun)
        {
            ShowDecisions(SweepRunner.Preview(plan, force));
            return 0;
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
            var tracker = Trackers.Open(config.TrackingUri, Path.Combine(config.OutputDir, "mlruns"));
            var runner = new SweepRunner(plan, tracker, force);
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
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }

        foreach (var rerun in outcome.Reruns)
            AnsiConsole.MarkupLineInterpolated($"[yellow]Reran {rerun.Stage}: {rerun.Why} (the old results are under {Path.Combine(config.OutputDir, "stale")}).[/]");
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
        return outcome.Cancelled ? 130 : outcome.Failed > 0 || outcome.ReportHtml is null ? 1 : 0;
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
