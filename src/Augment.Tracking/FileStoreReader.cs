using System.Globalization;
using YamlDotNet.Serialization;

namespace Augment.Tracking;

public sealed record StoredExperiment(string ExperimentId, string Name, string ArtifactLocation, string LifecycleStage,
    long CreationTimeMs, long LastUpdateTimeMs);

/// <summary>One run as the file store holds it; Metrics holds every logged value per key, in logging order.</summary>
public sealed record StoredRun(string RunId, string ExperimentId, string RunName, RunStatus Status, string LifecycleStage,
    long StartTimeMs, long? EndTimeMs, string UserId, string ArtifactUri,
    IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, IReadOnlyList<MetricPoint>> Metrics)
{
    /// <summary>The value MLflow shows for a metric: the one at the largest step, then latest timestamp.</summary>
    public MetricPoint? Latest(string key) =>
        Metrics.TryGetValue(key, out var history)
            ? history.MaxBy(p => (p.Step, p.TimestampMs, p.Value))
            : null;

    /// <summary>The run's artifact folder on this machine, or null when artifacts live elsewhere.</summary>
    public string? ArtifactDirectory => FileStoreFormat.LocalPathOf(ArtifactUri);

    public TrackedRun ToTrackedRun() => new(RunId, ExperimentId, RunName, Status, Tags, Params)
    {
        LastSteps = Metrics.Where(m => m.Value.Count > 0).ToDictionary(m => m.Key, m => m.Value.Max(p => p.Step)),
    };
}

/// <summary>
/// Reads an MLflow file store (written by <see cref="FileStoreTracker"/> or by MLflow itself) back into records.
/// Malformed files are reported with their path instead of being skipped silently.
/// </summary>
public sealed class FileStoreReader
{
    internal const string MetaFile = "meta.yaml";
    internal const string TrashFolder = ".trash";
    // Folders MLflow keeps inside an experiment that are not runs.
    static readonly HashSet<string> ReservedExperimentFolders = ["tags", "datasets", "traces"];

    public string Root { get; }

    public FileStoreReader(string root) => Root = Path.GetFullPath(root);

    /// <summary>Active experiments (and, when asked, deleted ones in .trash), ordered by id.</summary>
    public IReadOnlyList<StoredExperiment> Experiments(bool includeDeleted = false)
    {
        var dirs = ExperimentDirs(Root);
        if (includeDeleted) dirs = dirs.Concat(ExperimentDirs(Path.Combine(Root, TrashFolder)));
        return dirs.Select(ReadExperiment).OrderBy(e => e.ExperimentId.Length).ThenBy(e => e.ExperimentId, StringComparer.Ordinal).ToList();
    }

    public StoredExperiment? ExperimentByName(string name) => Experiments().FirstOrDefault(e => e.Name == name);

    /// <summary>Active runs of an experiment, ordered by start time.</summary>
    public IReadOnlyList<StoredRun> Runs(string experimentId) =>
        RunDirs(experimentId).Select(d => ReadRun(d)).Where(r => r.LifecycleStage == "active")
            .OrderBy(r => r.StartTimeMs).ThenBy(r => r.RunId, StringComparer.Ordinal).ToList();

    public StoredRun Run(string runId) => ReadRun(RunDir(runId));

    // Without metrics for lookups (resume by tag, status updates) that should not parse every metric history.
    internal StoredRun ReadRun(string runDir, bool includeMetrics = true)
    {
        var meta = ReadMeta(runDir);
        var tags = ReadKeyValueFiles(Path.Combine(runDir, "tags"));
        return new StoredRun(
            Str(meta, "run_id", runDir), Str(meta, "experiment_id", runDir), RunName(meta, tags), Status(meta, runDir),
            meta.GetValueOrDefault("lifecycle_stage") as string ?? "active",
            Long(meta, "start_time", runDir) ?? 0, Long(meta, "end_time", runDir),
            meta.GetValueOrDefault("user_id") as string ?? "", Str(meta, "artifact_uri", runDir),
            tags, ReadKeyValueFiles(Path.Combine(runDir, "params")),
            includeMetrics ? ReadMetrics(Path.Combine(runDir, "metrics")) : new Dictionary<string, IReadOnlyList<MetricPoint>>());
    }

    internal IEnumerable<string> RunDirs(string experimentId)
    {
        var expDir = ExperimentDir(experimentId)
            ?? throw new DirectoryNotFoundException($"{Root}: no experiment with id '{experimentId}'");
        return Directory.EnumerateDirectories(expDir)
            .Where(d => !ReservedExperimentFolders.Contains(Path.GetFileName(d)) && File.Exists(Path.Combine(d, MetaFile)));
    }

    internal string? ExperimentDir(string experimentId)
    {
        // MLflow's rule for experiment ids; it also keeps the id from naming a folder outside the store.
        if (experimentId.Length is 0 or > 64 || !char.IsAsciiLetterOrDigit(experimentId[0])
            || !experimentId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            throw new ArgumentException($"Invalid experiment id '{experimentId}'.", nameof(experimentId));
        foreach (var parent in new[] { Root, Path.Combine(Root, TrashFolder) })
        {
            var dir = Path.Combine(parent, experimentId);
            if (File.Exists(Path.Combine(dir, MetaFile))) return dir;
        }
        return null;
    }

    internal string RunDir(string runId)
    {
        ValidateRunId(runId);
        foreach (var parent in new[] { Root, Path.Combine(Root, TrashFolder) })
            foreach (var expDir in ExperimentDirs(parent))
            {
                var dir = Path.Combine(expDir, runId);
                if (File.Exists(Path.Combine(dir, MetaFile))) return dir;
            }
        throw new KeyNotFoundException($"{Root}: no run with id '{runId}'");
    }

    internal static void ValidateRunId(string runId)
    {
        if (runId.Length != 32 || !runId.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f'))
            throw new ArgumentException($"Invalid run id '{runId}': MLflow run ids are 32 lowercase hex characters.", nameof(runId));
    }

    static IEnumerable<string> ExperimentDirs(string parent) =>
        Directory.Exists(parent)
            ? Directory.EnumerateDirectories(parent).Where(d => File.Exists(Path.Combine(d, MetaFile)))
            : [];

    StoredExperiment ReadExperiment(string dir)
    {
        var meta = ReadMeta(dir);
        return new StoredExperiment(Str(meta, "experiment_id", dir), Str(meta, "name", dir),
            Str(meta, "artifact_location", dir), meta.GetValueOrDefault("lifecycle_stage") as string ?? "active",
            Long(meta, "creation_time", dir) ?? 0, Long(meta, "last_update_time", dir) ?? 0);
    }

    internal static Dictionary<string, object?> ReadMeta(string dir)
    {
        var path = Path.Combine(dir, MetaFile);
        try
        {
            return new DeserializerBuilder().Build().Deserialize<Dictionary<string, object?>>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"{path}: empty meta.yaml");
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"{path}: not valid YAML ({e.Message})", e);
        }
    }

    static string RunName(Dictionary<string, object?> meta, IReadOnlyDictionary<string, string> tags) =>
        meta.GetValueOrDefault("run_name") as string is { Length: > 0 } name ? name
        : tags.GetValueOrDefault(FileStoreTracker.RunNameTag) ?? "";

    static RunStatus Status(Dictionary<string, object?> meta, string dir)
    {
        var code = Long(meta, "status", dir) ?? (long)RunStatus.Running;
        return Enum.IsDefined(typeof(RunStatus), (int)code)
            ? (RunStatus)(int)code
            : throw new InvalidDataException($"{Path.Combine(dir, MetaFile)}: unknown run status {code}");
    }

    static string Str(Dictionary<string, object?> meta, string key, string dir) =>
        meta.GetValueOrDefault(key) as string
        ?? throw new InvalidDataException($"{Path.Combine(dir, MetaFile)}: missing '{key}'");

    static long? Long(Dictionary<string, object?> meta, string key, string dir) =>
        meta.GetValueOrDefault(key) switch
        {
            null => null,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) => v,
            var other => throw new InvalidDataException($"{Path.Combine(dir, MetaFile)}: '{key}' is not an integer ({other})"),
        };

    // Params and tags: one file per key, the raw value as its content; '/' in a key is a subfolder.
    static Dictionary<string, string> ReadKeyValueFiles(string dir) =>
        KeyFiles(dir).ToDictionary(kv => kv.Key, kv => File.ReadAllText(kv.Value));

    static Dictionary<string, IReadOnlyList<MetricPoint>> ReadMetrics(string dir) =>
        KeyFiles(dir).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<MetricPoint>)ReadMetricFile(kv.Key, kv.Value));

    static List<MetricPoint> ReadMetricFile(string key, string path)
    {
        var points = new List<MetricPoint>();
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            var parts = line.Trim().Split(' ');
            if (parts.Length is not (2 or 3)
                || !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ts)
                || (parts.Length == 3 && !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out _)))
                throw new InvalidDataException($"{path}:{lineNo}: expected '<timestamp_ms> <value> <step>', got '{line}'");
            double value;
            try { value = FileStoreFormat.ParseFloat(parts[1]); }
            catch (FormatException) { throw new InvalidDataException($"{path}:{lineNo}: '{parts[1]}' is not a number"); }
            var step = parts.Length == 3 ? long.Parse(parts[2], CultureInfo.InvariantCulture) : 0;
            points.Add(new MetricPoint(key, value, step, ts));
        }
        return points;
    }

    static IEnumerable<KeyValuePair<string, string>> KeyFiles(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Select(f => KeyValuePair.Create(Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'), f))
                .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            : [];
}
