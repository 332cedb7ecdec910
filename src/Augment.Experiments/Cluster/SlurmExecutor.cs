using System.Diagnostics;
using System.Globalization;
using System.Text;
using Augment.Data;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;

namespace Augment.Experiments.Cluster;

/// <summary>One sbatch submission: its script and the jobs (by name) it waits for.</summary>
public sealed record SlurmJob(string Name, string Script, IReadOnlyList<string> After, string? Array = null);

/// <summary>slurm/submitted.json: the jobs of the latest submission, so status and resubmission can find them.</summary>
public sealed record SlurmSubmission(DateTimeOffset At, IReadOnlyDictionary<string, string> JobIds, IReadOnlyList<int> Cells, string LogsDir)
{
    public const string FileName = "submitted.json";
}

/// <summary>
/// `executor: slurm`: the sweep's graph as Slurm jobs. One job runs the generator stages (base, adapters, generations);
/// one array runs the unfinished augmented cells, one task per cell, at most max_parallel at once, after it (afterany,
/// so a failed generation fails only the cells that need it, each with its own error); the real-only cells, which need
/// no generated clip, are their own array that starts at once; one job writes the report after all of them. Every task is a worker of the same output folder (`augment sweep worker`), so a requeued or resubmitted task
/// resumes its cell from last.ckpt, and running `augment sweep` again submits only what is unfinished or failed.
/// </summary>
public sealed class SlurmExecutor(ExperimentConfig config, Func<string, IReadOnlyList<string>, string> run)
{
    readonly SlurmSettings settings = config.Slurm;

    public string SlurmDir => Path.Combine(config.OutputDir, "slurm");
    public string LogsDir => Path.Combine(SlurmDir, "logs");

    /// <summary>Runs a Slurm command and returns its standard output; a non-zero exit is an error naming the command.</summary>
    public static string RunCommand(string command, IReadOnlyList<string> args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"{command}: cannot run it ({e.Message}); is Slurm installed on this machine?", e); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed (exit {process.ExitCode}): {stderr.Trim()}");
            return stdout.Result;
        }
    }

    /// <summary>The jobs for what the decisions leave to do, in submission order; empty when nothing is left.</summary>
    public IReadOnlyList<SlurmJob> Graph(SweepPlan plan, IReadOnlyList<StageDecision> decisions, out IReadOnlyList<int> cells)
    {
        var byStage = decisions.ToDictionary(d => d.Stage);
        cells = plan.Cells.Select((c, i) => (c, i)).Where(x => byStage[x.c.Stage].Action != StageAction.Reuse).Select(x => x.i).ToList();
        bool generators = decisions.Any(d => d.Kind != StageKind.Cell && d.Action != StageAction.Reuse);
        bool reportMissing = !File.Exists(Path.Combine(plan.ReportDir, "report.html"));
        if (!generators && cells.Count == 0 && !reportMissing) return [];

        var jobs = new List<SlurmJob>();
        string generatorsJob = JobName(plan, "generators"), reportJob = JobName(plan, "report");
        if (generators)
            jobs.Add(new SlurmJob(generatorsJob, Script(generatorsJob, settings.Generators, ["sweep", "worker", config.SourcePath, "--generators-only", "--output", config.OutputDir]), []));
        void CellArray(string name, IReadOnlyList<int> tasks, IReadOnlyList<string> after)
        {
            if (tasks.Count == 0) return;
            jobs.Add(new SlurmJob(name,
                Script(name, settings.Cells, ["sweep", "worker", config.SourcePath, "--cell", "$SLURM_ARRAY_TASK_ID", "--output", config.OutputDir], array: true),
                after, Array: string.Join(",", tasks) + $"%{settings.MaxParallel}"));
        }
        CellArray(JobName(plan, RealCells), cells.Where(i => plan.Cells[i].Generator is null).ToList(), []);
        CellArray(JobName(plan, Cells), cells.Where(i => plan.Cells[i].Generator is not null).ToList(), generators ? [generatorsJob] : []);
        jobs.Add(new SlurmJob(reportJob, Script(reportJob, settings.Report, ["report", config.OutputDir]), jobs.Select(j => j.Name).ToList()));
        return jobs;
    }

    /// <summary>The kinds of cells array: augmented cells (after the generators job) and real-only cells (at once).</summary>
    public const string Cells = "cells", RealCells = "real-cells";

    /// <summary>The Slurm job name of one kind of job (generators, cells, real-cells, report) of this sweep.</summary>
    public static string JobName(SweepPlan plan, string kind) => $"augment-{plan.SweepKey}-{kind}";

    /// <summary>The array a cell runs in.</summary>
    public static string CellJobName(SweepPlan plan, CellPlan cell) => JobName(plan, cell.Generator is null ? RealCells : Cells);

    /// <summary>
    /// Whether squeue still lists this task of an array job: as a task of its own (`123_4`) or inside the pending range
    /// (`123_[2-5,7%2]`). A cancelled task is gone from both, while the array's other tasks may still be queued.
    /// </summary>
    public static bool TaskQueued(IEnumerable<(string Id, string Name, string State)> queue, string jobName, int task) =>
        queue.Where(q => q.Name == jobName).Any(q => q.Id.Split('_', 2) is [_, var t] && TaskIn(t, task));

    static bool TaskIn(string tasks, int task)
    {
        if (int.TryParse(tasks, out var single)) return single == task;
        if (!(tasks.StartsWith('[') && tasks.EndsWith(']'))) return false;
        foreach (var part in tasks[1..^1].Split('%')[0].Split(','))
        {
            var range = part.Split('-');
            if (range.Length == 1 && int.TryParse(range[0], out var one) && one == task) return true;
            if (range.Length == 2 && int.TryParse(range[0], out var lo) && int.TryParse(range[1], out var hi) && lo <= task && task <= hi) return true;
        }
        return false;
    }

    /// <summary>Jobs of this sweep still queued or running, by name (squeue).</summary>
    public IReadOnlyList<(string Id, string Name, string State)> Queued(SweepPlan plan)
    {
        var output = run("squeue", ["-h", "-o", "%i %j %T"]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ', 3))
            .Where(p => p.Length == 3 && p[1].StartsWith(JobName(plan, ""), StringComparison.Ordinal))
            .Select(p => (p[0], p[1], p[2])).ToList();
    }

    /// <summary>Submits the graph (sbatch --parsable, dependencies by job id) and records it; returns the submission.</summary>
    public SlurmSubmission Submit(SweepPlan plan, IReadOnlyList<StageDecision> decisions)
    {
        var jobs = Graph(plan, decisions, out var cells);
        var ids = new Dictionary<string, string>();
        Directory.CreateDirectory(LogsDir);
        var stamp = DateTimeOffset.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        foreach (var job in jobs)
        {
            var scriptPath = Path.Combine(SlurmDir, $"{stamp}-{job.Name}.sbatch");
            AtomicFile.WriteAllText(scriptPath, job.Script);
            var args = new List<string> { "--parsable" };
            if (job.After.Count > 0) args.Add($"--dependency=afterany:{string.Join(':', job.After.Select(a => ids[a]))}");
            if (job.Array is { } array) args.Add($"--array={array}");
            args.Add(scriptPath);
            ids[job.Name] = run("sbatch", args).Trim().Split(';')[0];
        }
        var submission = new SlurmSubmission(DateTimeOffset.UtcNow, ids, cells, LogsDir);
        AtomicFile.WriteJson(Path.Combine(SlurmDir, SlurmSubmission.FileName), submission);
        return submission;
    }

    string Script(string name, SlurmResources resources, IReadOnlyList<string> augmentArgs, bool array = false)
    {
        var sb = new StringBuilder("#!/bin/bash\n");
        void Directive(string key, string? value) { if (value is not null) sb.Append("#SBATCH --").Append(key).Append('=').Append(value).Append('\n'); }
        Directive("job-name", name);
        Directive("output", Path.Combine(LogsDir, array ? "%x-%A_%a.out" : "%x-%j.out"));
        Directive("partition", settings.Partition);
        Directive("account", settings.Account);
        Directive("qos", settings.Qos);
        Directive("time", resources.Time);
        Directive("cpus-per-task", resources.Cpus?.ToString(CultureInfo.InvariantCulture));
        Directive("mem", resources.Mem);
        Directive("gres", resources.Gres);
        // A preempted or timed-out task goes back in the queue and resumes its stage from its checkpoint.
        sb.Append("#SBATCH --requeue\n");
        foreach (var extra in settings.ExtraArgs) sb.Append("#SBATCH ").Append(extra).Append('\n');
        sb.Append("set -euo pipefail\n");
        if (settings.Setup is { } setup) sb.Append(setup.TrimEnd()).Append('\n');
        sb.Append("exec ").Append(Quote(AugmentBinary()));
        foreach (var a in augmentArgs)
            sb.Append(' ').Append(a.StartsWith('$') ? $"\"{a}\"" : Quote(a));
        return sb.Append('\n').ToString();
    }

    /// <summary>The augment executable that is running now (its apphost beside the assembly).</summary>
    public static string AugmentBinary() => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "augment.exe" : "augment");

    static string Quote(string s) => s.All(c => char.IsLetterOrDigit(c) || "/._-=:+,".Contains(c)) ? s : "'" + s.Replace("'", "'\\''") + "'";
}
