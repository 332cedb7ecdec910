using System.Text.Json;
using Augment.Data;
using Augment.Experiments.Sweep;

namespace Augment.Experiments.Cluster;

/// <summary>Who holds a stage: written into its claim file.</summary>
public sealed record ClaimInfo(string Stage, string Worker, string Host, int Pid, DateTimeOffset Since)
{
    /// <summary>When the holder last showed it is alive (the claim file's modification time).</summary>
    public DateTimeOffset Heartbeat { get; init; }
}

/// <summary>
/// Stage claims for workers sharing one output folder (processes on one machine, array tasks, machines on a shared file
/// system): &lt;output_dir&gt;/claims/&lt;hash&gt;.json, created exclusively (O_EXCL), its modification time refreshed
/// while the stage runs. A claim not refreshed for <see cref="Expiry"/>, or held by a process of this host that is gone,
/// belongs to a dead worker and is taken over; a requeued Slurm task has the same worker name and takes its own claim
/// back at once.
/// </summary>
public sealed class StageClaims(string outputDir, string worker, TimeSpan? expiry = null)
{
    public TimeSpan Expiry { get; } = expiry ?? TimeSpan.FromMinutes(2);
    public string Worker { get; } = worker;
    public string Dir { get; } = Path.Combine(outputDir, "claims");

    /// <summary>This process's name among workers: the Slurm task or Kubernetes index when there is one, else host and pid.</summary>
    public static string DefaultWorker()
    {
        string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : null;
        if (Env("SLURM_ARRAY_JOB_ID") is { } array) return $"slurm-{array}_{Env("SLURM_ARRAY_TASK_ID")}";
        if (Env("SLURM_JOB_ID") is { } job) return $"slurm-{job}";
        var index = Env("JOB_COMPLETION_INDEX") is { } k ? $"-k8s{k}" : "";
        return $"{Environment.MachineName}-{Environment.ProcessId}{index}";
    }

    string PathOf(string stage) => Path.Combine(Dir, SweepPlanner.ShortHash(stage) + ".json");

    /// <summary>The claim, or null while another live worker holds the stage.</summary>
    public Claim? TryTake(string stage)
    {
        Directory.CreateDirectory(Dir);
        var path = PathOf(stage);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var info = new ClaimInfo(stage, Worker, Environment.MachineName, Environment.ProcessId, DateTimeOffset.UtcNow);
            try
            {
                using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
                    JsonSerializer.Serialize(stream, info, AtomicFile.Json);
                return new Claim(path, Expiry);
            }
            catch (IOException) when (File.Exists(path))
            {
                var holder = Read(path);
                if (holder is null) continue; // vanished or half-written: look again
                if (holder.Worker == Worker) return new Claim(path, Expiry);
                if (IsAlive(holder)) return null;
                // A dead holder: move its claim aside (only one taker's rename succeeds), then race for a new one.
                try { File.Move(path, path + ".expired-" + Guid.NewGuid().ToString("N")[..8]); }
                catch (IOException) { }
            }
        }
        return null;
    }

    /// <summary>Waits while another live worker holds the stage, then takes it. <paramref name="isDone"/> ends the
    /// wait without a claim (null) when the holder finished the stage.</summary>
    public Claim? Take(string stage, Func<bool> isDone, Action<ClaimInfo> waiting, CancellationToken cancel)
    {
        while (true)
        {
            if (isDone()) return null;
            if (TryTake(stage) is { } claim) return claim;
            if (Read(PathOf(stage)) is { } holder) waiting(holder);
            cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
            cancel.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Every live claim (for `augment sweep status`).</summary>
    public IReadOnlyList<ClaimInfo> Active() => !Directory.Exists(Dir) ? []
        : Directory.EnumerateFiles(Dir, "*.json").Select(Read).OfType<ClaimInfo>()
            .Where(IsAlive).ToList();

    /// <summary>
    /// A holder is alive while it refreshes its claim; one on this host whose process has exited (or whose pid now
    /// belongs to a process started after the claim) is dead at once, without waiting for the claim to expire.
    /// </summary>
    bool IsAlive(ClaimInfo holder)
    {
        if (DateTimeOffset.UtcNow - holder.Heartbeat >= Expiry) return false;
        if (holder.Host != Environment.MachineName) return true;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(holder.Pid);
            return !process.HasExited && process.StartTime.ToUniversalTime() <= holder.Since.UtcDateTime.AddSeconds(1);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    static ClaimInfo? Read(string path)
    {
        try
        {
            var info = JsonSerializer.Deserialize<ClaimInfo>(File.ReadAllText(path), AtomicFile.Json);
            return info is null ? null : info with { Heartbeat = File.GetLastWriteTimeUtc(path) };
        }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }
}

/// <summary>A held stage: refreshed in the background while held, removed when disposed.</summary>
public sealed class Claim : IDisposable
{
    readonly string path;
    readonly Timer heartbeat;

    internal Claim(string path, TimeSpan expiry)
    {
        this.path = path;
        Touch();
        var every = TimeSpan.FromTicks(expiry.Ticks / 4);
        heartbeat = new Timer(_ => Touch(), null, every, every);
    }

    void Touch()
    {
        try { File.SetLastWriteTimeUtc(path, DateTime.UtcNow); }
        catch (IOException) { }
    }

    public void Dispose()
    {
        heartbeat.Dispose();
        try { File.Delete(path); }
        catch (IOException) { }
    }
}
