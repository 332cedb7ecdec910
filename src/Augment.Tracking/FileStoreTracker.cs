using System.Globalization;
using Augment.Data;

namespace Augment.Tracking;

/// <summary>
/// Records runs in MLflow's file-store layout, so <c>mlflow ui --backend-store-uri &lt;root&gt;</c> shows them:
/// <code>
/// root/0/meta.yaml                       Default experiment (mlflow ui expects it)
/// root/&lt;exp_id&gt;/meta.yaml               artifact_location, creation_time, experiment_id, last_update_time, lifecycle_stage, name
/// root/&lt;exp_id&gt;/&lt;run_id&gt;/meta.yaml      run info; status as MLflow's integer code
/// root/&lt;exp_id&gt;/&lt;run_id&gt;/metrics/&lt;key&gt;  one "timestamp_ms value step" line per logged value
/// root/&lt;exp_id&gt;/&lt;run_id&gt;/params/&lt;key&gt;   raw value, no trailing newline (tags/ likewise)
/// root/&lt;exp_id&gt;/&lt;run_id&gt;/artifacts/
/// </code>
/// One writer per store at a time; a killed process leaves at most a RUNNING run, which <see cref="FindRuns"/> still finds.
/// </summary>
public sealed class FileStoreTracker : IExperimentTracker
{
    public const string DefaultExperimentId = "0";
    public const string DefaultExperimentName = "Default";
    /// <summary>The tag MLflow keeps in step with run_name.</summary>
    public const string RunNameTag = "mlflow.runName";
    // MLflow's SourceType.LOCAL: the file store always records it.
    const int SourceTypeLocal = 4;

    readonly TimeProvider _time;
    readonly Lock _lock = new();
    readonly Dictionary<string, string> _runDirs = [];

    public string Root { get; }
    public FileStoreReader Reader { get; }

    /// <param name="root">The store's folder; created with the Default experiment and .trash if missing.</param>
    /// <param name="time">Clock for creation/start/end times (tests pin it); the system clock by default.</param>
    public FileStoreTracker(string root, TimeProvider? time = null)
    {
        Root = Path.GetFullPath(root);
        _time = time ?? TimeProvider.System;
        Reader = new FileStoreReader(Root);
        if (File.Exists(Root))
            throw new IOException($"{Root}: the tracking store must be a folder, but a file is there");
        Directory.CreateDirectory(Path.Combine(Root, FileStoreReader.TrashFolder));
        if (Reader.ExperimentDir(DefaultExperimentId) is null)
            WriteExperiment(DefaultExperimentId, DefaultExperimentName);
    }

    public string GetOrCreateExperiment(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("Experiment name must not be empty.", nameof(name));
        lock (_lock)
        {
            var existing = Reader.Experiments(includeDeleted: true).FirstOrDefault(e => e.Name == name);
            if (existing is { LifecycleStage: "active" }) return existing.ExperimentId;
            if (existing is not null)
                throw new InvalidOperationException(
                    $"{Root}: experiment '{name}' (id {existing.ExperimentId}) is deleted; restore it or remove it from " +
                    $"{Path.Combine(Root, FileStoreReader.TrashFolder)} to use the name again.");
            // Numeric ids, as MLflow's file store uses; the next free one keeps folders readable.
            var used = Directory.EnumerateDirectories(Root).Concat(ExistingDirs(Path.Combine(Root, FileStoreReader.TrashFolder)))
                .Select(d => long.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1);
            var newId = (used.DefaultIfEmpty(0).Max() + 1).ToString(CultureInfo.InvariantCulture);
            WriteExperiment(newId, name);
            return newId;
        }
    }

    public TrackedRun StartRun(string experimentId, string runName, IReadOnlyDictionary<string, string> tags)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runName);
        if (tags.TryGetValue(RunNameTag, out var tagged) && tagged != runName)
            throw new ArgumentException($"Run name '{runName}' differs from its {RunNameTag} tag '{tagged}'.", nameof(tags));
        foreach (var key in tags.Keys) TrackingKeys.Validate(key, "tag");
        lock (_lock)
        {
            var expDir = Reader.ExperimentDir(experimentId)
                ?? throw new KeyNotFoundException($"{Root}: no experiment with id '{experimentId}'");
            var experiment = FileStoreReader.ReadMeta(expDir);
            if (experiment.GetValueOrDefault("lifecycle_stage") as string is { } stage && stage != "active")
                throw new InvalidOperationException($"{Root}: experiment '{experimentId}' is {stage}; cannot start runs in it");
            var artifactLocation = experiment.GetValueOrDefault("artifact_location") as string ?? FileStoreFormat.FileUri(expDir);

            var runId = Guid.NewGuid().ToString("N");
            var runDir = Path.Combine(expDir, runId);
            Directory.CreateDirectory(Path.Combine(runDir, "metrics"));
            Directory.CreateDirectory(Path.Combine(runDir, "params"));
            Directory.CreateDirectory(Path.Combine(runDir, "artifacts"));
            WriteRunMeta(runDir, new RunMeta(runId, experimentId, runName, RunStatus.Running, NowMs(), null,
                artifactLocation.TrimEnd('/') + "/" + runId + "/artifacts", Environment.UserName));
            _runDirs[runId] = runDir;

            var allTags = new Dictionary<string, string>(tags) { [RunNameTag] = runName };
            foreach (var (key, value) in allTags) WriteValueFile(runDir, "tags", key, value);
            return new TrackedRun(runId, experimentId, runName, RunStatus.Running, allTags, new Dictionary<string, string>());
        }
    }

    public IReadOnlyList<TrackedRun> FindRuns(string experimentId, string tagKey, string tagValue)
    {
        TrackingKeys.Validate(tagKey, "tag");
        lock (_lock)
        {
            var found = new List<TrackedRun>();
            foreach (var runDir in Reader.RunDirs(experimentId))
            {
                var tagFile = Path.Combine(runDir, "tags", tagKey);
                if (!File.Exists(tagFile) || File.ReadAllText(tagFile) != tagValue) continue;
                // With metrics: LastSteps is how a backfill avoids logging a point twice.
                var run = Reader.ReadRun(runDir);
                if (run.LifecycleStage == "active") found.Add(run.ToTrackedRun());
            }
            return found;
        }
    }

    public void LogParams(string runId, IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var key in parameters.Keys) TrackingKeys.Validate(key, "param");
        lock (_lock)
        {
            var runDir = RunDir(runId);
            // Params are immutable in MLflow: the same value again is fine, a different one is a caller bug.
            foreach (var (key, value) in parameters)
            {
                var path = Path.Combine(runDir, "params", key);
                if (File.Exists(path) && File.ReadAllText(path) is var current && current != value)
                    throw new InvalidOperationException(
                        $"Param '{key}' of run {runId} is already '{current}'; MLflow params cannot change (new value '{value}').");
            }
            foreach (var (key, value) in parameters) WriteValueFile(runDir, "params", key, value);
        }
    }

    public void LogMetrics(string runId, IEnumerable<MetricPoint> metrics)
    {
        var points = metrics.ToList();
        foreach (var p in points) TrackingKeys.Validate(p.Key, "metric");
        lock (_lock)
        {
            var runDir = RunDir(runId);
            foreach (var group in points.GroupBy(p => p.Key))
            {
                var path = Path.Combine(runDir, "metrics", group.Key);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.AppendAllText(path, string.Concat(group.Select(p =>
                    $"{p.TimestampMs.ToString(CultureInfo.InvariantCulture)} {FileStoreFormat.PythonFloat(p.Value)} {p.Step.ToString(CultureInfo.InvariantCulture)}\n")));
            }
        }
    }

    public void SetTag(string runId, string key, string value)
    {
        TrackingKeys.Validate(key, "tag");
        lock (_lock)
        {
            var runDir = RunDir(runId);
            WriteValueFile(runDir, "tags", key, value);
            // MLflow keeps run_name in meta.yaml in step with the mlflow.runName tag.
            if (key == RunNameTag) WriteRunMeta(runDir, ReadRunMeta(runDir) with { RunName = value });
        }
    }

    public void LogArtifact(string runId, string localPath, string artifactDir = "")
    {
        if (!File.Exists(localPath))
            throw new FileNotFoundException($"{localPath}: artifact file not found", localPath);
        var relative = ArtifactPath(artifactDir, Path.GetFileName(localPath));
        lock (_lock)
        {
            var runDir = RunDir(runId);
            var artifactUri = ReadRunMeta(runDir).ArtifactUri;
            var artifactRoot = FileStoreFormat.LocalPathOf(artifactUri)
                ?? throw new NotSupportedException(
                    $"Run {runId} stores artifacts at '{artifactUri}', which is not a local folder; the file store copies artifacts only to file:// locations.");
            var target = Path.Combine(artifactRoot, relative);
            AtomicFile.Write(target, tmp => File.Copy(localPath, tmp, overwrite: true));
        }
    }

    public void EndRun(string runId, RunStatus status)
    {
        if (status is RunStatus.Running or RunStatus.Scheduled)
            throw new ArgumentException($"EndRun needs a terminal status (Finished, Failed, Killed), not {status}.", nameof(status));
        lock (_lock)
        {
            var runDir = RunDir(runId);
            WriteRunMeta(runDir, ReadRunMeta(runDir) with { Status = status, EndTimeMs = NowMs() });
        }
    }

    /// <summary>Checks an artifact sub-folder the way MLflow does and joins it with the file name ('/'-separated).</summary>
    internal static string ArtifactPath(string artifactDir, string fileName)
    {
        var dir = (artifactDir ?? "").Replace('\\', '/').Trim('/');
        if (dir.Length > 0 && (Path.IsPathRooted(artifactDir) || dir.Split('/').Any(s => s is "" or "." or "..")))
            throw new ArgumentException($"Invalid artifact folder '{artifactDir}': it must be a relative path without '.' or '..' parts.", nameof(artifactDir));
        return dir.Length == 0 ? fileName : dir + "/" + fileName;
    }

    sealed record RunMeta(string RunId, string ExperimentId, string RunName, RunStatus Status, long StartTimeMs,
        long? EndTimeMs, string ArtifactUri, string UserId, string LifecycleStage = "active");

    RunMeta ReadRunMeta(string runDir)
    {
        var run = Reader.ReadRun(runDir, includeMetrics: false);
        return new RunMeta(run.RunId, run.ExperimentId, run.RunName, run.Status, run.StartTimeMs, run.EndTimeMs,
            run.ArtifactUri, run.UserId, run.LifecycleStage);
    }

    // Field for field what MLflow's FileStore persists for a RunInfo (tags stay [] for old readers).
    static void WriteRunMeta(string runDir, RunMeta run) =>
        AtomicFile.WriteAllText(Path.Combine(runDir, FileStoreReader.MetaFile), FileStoreFormat.Yaml(new Dictionary<string, object?>
        {
            ["artifact_uri"] = run.ArtifactUri,
            ["end_time"] = run.EndTimeMs,
            ["entry_point_name"] = "",
            ["experiment_id"] = run.ExperimentId,
            ["lifecycle_stage"] = run.LifecycleStage,
            ["run_id"] = run.RunId,
            ["run_name"] = run.RunName,
            ["run_uuid"] = run.RunId,
            ["source_name"] = "",
            ["source_type"] = SourceTypeLocal,
            ["source_version"] = "",
            ["start_time"] = run.StartTimeMs,
            ["status"] = (int)run.Status,
            ["tags"] = Array.Empty<object>(),
            ["user_id"] = run.UserId,
        }));

    void WriteExperiment(string experimentId, string name)
    {
        var dir = Path.Combine(Root, experimentId);
        Directory.CreateDirectory(dir);
        var now = NowMs();
        AtomicFile.WriteAllText(Path.Combine(dir, FileStoreReader.MetaFile), FileStoreFormat.Yaml(new Dictionary<string, object?>
        {
            ["artifact_location"] = FileStoreFormat.FileUri(dir),
            ["creation_time"] = now,
            ["experiment_id"] = experimentId,
            ["last_update_time"] = now,
            ["lifecycle_stage"] = "active",
            ["name"] = name,
        }));
    }

    // MLflow writes these files in place, without a trailing newline; keys with '/' become subfolders.
    static void WriteValueFile(string runDir, string folder, string key, string value)
    {
        var path = Path.Combine(runDir, folder, key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, value);
    }

    string RunDir(string runId)
    {
        if (_runDirs.TryGetValue(runId, out var dir) && Directory.Exists(dir)) return dir;
        dir = Reader.RunDir(runId);
        _runDirs[runId] = dir;
        return dir;
    }

    long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    static IEnumerable<string> ExistingDirs(string parent) =>
        Directory.Exists(parent) ? Directory.EnumerateDirectories(parent) : [];
}
