using System.CommandLine;
using Augment.Data;
using Augment.Experiments.Cluster;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Spectre.Console;

namespace Augment.Cli.Commands;

/// <summary>
/// `augment sweep status`: every stage of the grid as done / running / queued / failed / to do, from the stage records,
/// the live claims of workers, and (when the sweep was submitted to Slurm) squeue. A failed stage shows its error, its
/// log and the log's last lines.
/// </summary>
public static class SweepStatusCommand
{
    public sealed record StageState(string Stage, string State, string Detail);

    public static Command Create()
    {
        var configArg = new Argument<string>("config") { Description = "The experiments file." };
        var output = new Option<string?>("--output") { Description = "The sweep's folder, if not the file's output_dir." };
        var watch = new Option<bool>("--watch") { Description = "Refresh every 5 seconds until nothing is running or queued." };
        var cmd = new Command("status", "Show each stage of a sweep: done, running (which worker), queued, failed (with its log), or still to do.");
        cmd.Arguments.Add(configArg);
        cmd.Options.Add(output);
        cmd.Options.Add(watch);
        cmd.SetAction(parse =>
        {
            ExperimentConfig config;
            try { config = ExperimentConfigLoader.Load(parse.GetValue(configArg)!, parse.GetValue(output)); }
            catch (Exception e) when (e is ConfigException or FileNotFoundException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
                return 2;
            }
            var plan = SweepPlanner.Plan(config);
            // Loaded (and content-hashed) once, not on every refresh.
            var datasets = SweepRunner.LoadExisting(config);
            while (true)
            {
                var states = States(plan, QueueOrNothing(config, plan), datasets);
                Show(states);
                bool active = states.Any(s => s.State is "running" or "queued");
                if (!parse.GetValue(watch) || !active) return states.Any(s => s.State == "failed") ? 1 : 0;
                Thread.Sleep(TimeSpan.FromSeconds(5));
                AnsiConsole.WriteLine();
            }
        });
        return cmd;
    }

    static IReadOnlyList<(string Id, string Name, string State)> QueueOrNothing(ExperimentConfig config, SweepPlan plan)
    {
        if (!File.Exists(Path.Combine(config.OutputDir, "slurm", SlurmSubmission.FileName))) return [];
        try { return new SlurmExecutor(config, SlurmExecutor.RunCommand).Queued(plan); }
        catch (InvalidOperationException) { return []; }
    }

    public static IReadOnlyList<StageState> States(SweepPlan plan, IReadOnlyList<(string Id, string Name, string State)> queue,
        IReadOnlyDictionary<string, SweepDataset> datasets)
    {
        var config = plan.Config;
        var claims = new StageClaims(config.OutputDir, "status").Active().ToDictionary(c => c.Stage);
        var submissionPath = Path.Combine(config.OutputDir, "slurm", SlurmSubmission.FileName);
        var submission = AtomicFile.TryReadJson<SlurmSubmission>(submissionPath);
        var queuedNames = queue.Select(q => q.Name).ToHashSet();
        var positions = plan.Cells.Select((c, i) => (c.Stage, i)).ToDictionary(x => x.Stage, x => x.i);
        var states = new List<StageState>();
        foreach (var d in SweepRunner.Preview(plan, new HashSet<StageKind>(), datasets))
        {
            // A cell is an array task of a cells job; every other stage runs in the generators job.
            int? position = positions.TryGetValue(d.Stage, out var p) ? p : null;
            var cell = position is { } i ? plan.Cells[i] : null;
            var job = cell is null ? SlurmExecutor.JobName(plan, "generators") : SlurmExecutor.CellJobName(plan, cell);
            var log = submission is null ? null : LogOf(submission, job, position);
            if (d.Action == StageAction.Reuse) states.Add(new(d.Stage, "done", ""));
            else if (claims.TryGetValue(d.Stage, out var claim))
                states.Add(new(d.Stage, "running", $"{claim.Worker} on {claim.Host}, alive {(DateTimeOffset.UtcNow - claim.Heartbeat).TotalSeconds:0} s ago"));
            else if (cell is not null && CellResult.TryRead(cell.Dir) is { Status: CellStatus.Failed } failed)
                states.Add(new(d.Stage, "failed", failed.Error + (log is null ? "" : $" — log {log}{Tail(log)}")));
            else if (submission is not null && (position is { } task ? SlurmExecutor.TaskQueued(queue, job, task) : queuedNames.Contains(job)))
                states.Add(new(d.Stage, "queued", string.Join(", ", queue.Where(q => q.Name == job).Select(q => $"job {q.Id} {q.State}").Take(3))));
            else states.Add(new(d.Stage, "to do", d.Action == StageAction.Rerun ? $"rerun: {d.Why}" : d.Action == StageAction.Resume ? "unfinished: resumes from its partial files" : "not started"));
        }
        return states;
    }

    static string? LogOf(SlurmSubmission s, string job, int? task)
    {
        if (!s.JobIds.TryGetValue(job, out var id)) return null;
        var path = Path.Combine(s.LogsDir, task is { } t ? $"{job}-{id}_{t}.out" : $"{job}-{id}.out");
        return File.Exists(path) ? path : null;
    }

    static string Tail(string log)
    {
        var lines = File.ReadAllLines(log).Where(l => l.Trim().Length > 0).TakeLast(3).ToList();
        return lines.Count == 0 ? "" : ": " + string.Join(" | ", lines);
    }

    static void Show(IReadOnlyList<StageState> states)
    {
        AnsiConsole.MarkupLineInterpolated($"{DateTime.Now:HH:mm:ss} stages: {string.Join(", ", states.GroupBy(s => s.State).Select(g => $"{g.Count()} {g.Key}"))}.");
        var table = new Table().AddColumns("Stage", "State", "Detail");
        foreach (var s in states.Where(s => s.State != "done"))
            table.AddRow(Markup.Escape(s.Stage), s.State switch { "failed" => "[red]failed[/]", "running" => "[green]running[/]", _ => Markup.Escape(s.State) }, Markup.Escape(s.Detail));
        if (table.Rows.Count > 0) AnsiConsole.Write(table);
    }
}
