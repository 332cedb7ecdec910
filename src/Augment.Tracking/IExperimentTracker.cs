namespace Augment.Tracking;

/// <summary>MLflow run states, with MLflow's file-store integer codes.</summary>
public enum RunStatus { Running = 1, Scheduled = 2, Finished = 3, Failed = 4, Killed = 5 }

public sealed record MetricPoint(string Key, double Value, long Step, long TimestampMs);

public sealed record TrackedRun(string RunId, string ExperimentId, string RunName, RunStatus Status,
    IReadOnlyDictionary<string, string> Tags, IReadOnlyDictionary<string, string> Params)
{
    /// <summary>The largest step logged per metric key (what a backfill continues after); empty for a new run.</summary>
    public IReadOnlyDictionary<string, long> LastSteps { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// Where a sweep records its runs: an MLflow file store (a local folder) or an MLflow tracking server (REST).
/// Chosen by tracking_uri or MLFLOW_TRACKING_URI; see <c>Trackers.Open</c>.
/// </summary>
public interface IExperimentTracker
{
    /// <summary>The experiment's id, creating it if it does not exist.</summary>
    string GetOrCreateExperiment(string name);
    TrackedRun StartRun(string experimentId, string runName, IReadOnlyDictionary<string, string> tags);
    /// <summary>Runs of an experiment whose tag key equals value (how a resumed sweep finds a cell's run instead of duplicating it).</summary>
    IReadOnlyList<TrackedRun> FindRuns(string experimentId, string tagKey, string tagValue);
    void LogParams(string runId, IReadOnlyDictionary<string, string> parameters);
    void LogMetrics(string runId, IEnumerable<MetricPoint> metrics);
    void SetTag(string runId, string key, string value);
    /// <summary>Copies a local file into the run's artifacts, under artifactDir (may be empty).</summary>
    void LogArtifact(string runId, string localPath, string artifactDir = "");
    void EndRun(string runId, RunStatus status);
}

/// <summary>The tracking URI cannot be used (nothing listening, no MLflow API there, credentials refused); the message is one line.</summary>
public sealed class TrackingUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
