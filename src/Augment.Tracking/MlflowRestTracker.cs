using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Augment.Data;

namespace Augment.Tracking;

/// <summary>
/// Records runs on an MLflow tracking server through REST API 2.0. Artifacts go through the server's artifact proxy
/// (<c>mlflow server --serve-artifacts</c>, the default since MLflow 2.0), i.e. runs whose artifact_uri is mlflow-artifacts:/...
/// </summary>
public sealed class MlflowRestTracker : IExperimentTracker, IDisposable
{
    // MLflow's limits for one runs/log-batch request.
    public const int MaxMetricsPerBatch = 1000;
    public const int MaxParamsPerBatch = 100;
    const int SearchPageSize = 1000;
    const int MaxSearchPages = 10_000;

    readonly MlflowRestClient _client;
    // artifact_uri per run, so LogArtifact needs no extra round trip for runs this tracker started or found.
    readonly ConcurrentDictionary<string, string> _artifactUris = new();

    public Uri TrackingUri => _client.TrackingUri;

    /// <param name="trackingUri">http(s)://host:port[/prefix] of the MLflow server.</param>
    /// <param name="options">Retries, timeout and auth; MLflow's environment variables by default.</param>
    public MlflowRestTracker(string trackingUri, MlflowRestOptions? options = null) =>
        _client = new MlflowRestClient(trackingUri, options ?? MlflowRestOptions.FromEnvironment());

    /// <summary>
    /// One request, not retried, so that a wrong tracking URI fails before any work: throws
    /// <see cref="TrackingUnavailableException"/> with one line naming the URI and the problem.
    /// </summary>
    public void CheckReachable()
    {
        try
        {
            _client.Get("api/2.0/mlflow/experiments/get-by-name", "experiment_name=" + FileStoreTracker.DefaultExperimentName, retry: false);
        }
        catch (MlflowRestException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST") { } // MLflow's own answer: the API is there
        catch (MlflowRestException e)
        {
            throw new TrackingUnavailableException(e.StatusCode switch
            {
                null => $"Tracking server {TrackingUri} is unreachable: {e.InnerException?.Message ?? e.Message}",
                HttpStatusCode.NotFound => $"Tracking URI {TrackingUri} has no MLflow REST API (404 for {e.Endpoint}): check its host, port and path prefix.",
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                    $"Tracking server {TrackingUri} refused the credentials ({(int)e.StatusCode} {e.StatusCode}): set MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.",
                var status => $"Tracking server {TrackingUri} answered {(int)status} {status} to {e.Endpoint}: {e.ErrorCode ?? "not an MLflow error"}.",
            }, e);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new TrackingUnavailableException($"Tracking URI {TrackingUri} answered experiments/get-by-name with something other than JSON: is it an MLflow tracking server?", e);
        }
    }

    public string GetOrCreateExperiment(string name)
    {
        if (string.IsNullOrWhiteSpace(name))
            throw new ArgumentException("Experiment name must not be empty.", nameof(name));
        if (ExperimentIdByName(name) is { } id) return id;
        try
        {
            var created = _client.Post("api/2.0/mlflow/experiments/create", new JsonObject { ["name"] = name });
            return Required(created, "experiment_id", "experiments/create");
        }
        catch (MlflowRestException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS")
        {
            // Another process created it between our lookup and create.
            if (ExperimentIdByName(name) is { } raced) return raced;
            throw;
        }
    }

    string? ExperimentIdByName(string name)
    {
        JsonNode? found;
        try
        {
            found = _client.Get("api/2.0/mlflow/experiments/get-by-name", "experiment_name=" + Uri.EscapeDataString(name));
        }
        catch (MlflowRestException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
        {
            return null;
        }
        var experiment = found?["experiment"];
        if ((string?)experiment?["lifecycle_stage"] is "deleted")
            throw new InvalidOperationException(
                $"{TrackingUri}: experiment '{name}' is deleted; restore it (mlflow experiments restore) or pick another name.");
        return Required(experiment, "experiment_id", "experiments/get-by-name");
    }

    public TrackedRun StartRun(string experimentId, string runName, IReadOnlyDictionary<string, string> tags)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runName);
        if (tags.TryGetValue(FileStoreTracker.RunNameTag, out var tagged) && tagged != runName)
            throw new ArgumentException($"Run name '{runName}' differs from its {FileStoreTracker.RunNameTag} tag '{tagged}'.", nameof(tags));
        foreach (var key in tags.Keys) TrackingKeys.Validate(key, "tag");
        // The runName tag as well as run_name: older servers know only the tag, newer ones keep both in step.
        var allTags = new Dictionary<string, string>(tags) { [FileStoreTracker.RunNameTag] = runName };
        var response = _client.Post("api/2.0/mlflow/runs/create", new JsonObject
        {
            ["experiment_id"] = experimentId,
            ["user_id"] = Environment.UserName,
            ["run_name"] = runName,
            ["start_time"] = NowMs(),
            ["tags"] = KeyValues(allTags),
        });
        return Remember(response?["run"] ?? throw Malformed("runs/create", "run"));
    }

    public IReadOnlyList<TrackedRun> FindRuns(string experimentId, string tagKey, string tagValue)
    {
        TrackingKeys.Validate(tagKey, "tag");
        var runs = new List<TrackedRun>();
        string? pageToken = null;
        for (var page = 0; page < MaxSearchPages; page++)
        {
            var request = new JsonObject
            {
                ["experiment_ids"] = new JsonArray(experimentId),
                ["filter"] = $"tags.`{tagKey}` = {FilterLiteral(tagValue)}",
                ["run_view_type"] = "ACTIVE_ONLY",
                ["max_results"] = SearchPageSize,
            };
            if (pageToken is not null) request["page_token"] = pageToken;
            var response = _client.Post("api/2.0/mlflow/runs/search", request);
            foreach (var run in response?["runs"]?.AsArray() ?? []) runs.Add(Remember(run!));
            pageToken = (string?)response?["next_page_token"];
            if (string.IsNullOrEmpty(pageToken)) return runs;
        }
        throw new InvalidOperationException($"{TrackingUri}: runs/search still had pages after {MaxSearchPages}; giving up.");
    }

    public void LogParams(string runId, IReadOnlyDictionary<string, string> parameters)
    {
        foreach (var key in parameters.Keys) TrackingKeys.Validate(key, "param");
        foreach (var chunk in parameters.Chunk(MaxParamsPerBatch))
            LogBatch(runId, "params", KeyValues(chunk));
    }

    public void LogMetrics(string runId, IEnumerable<MetricPoint> metrics)
    {
        var points = metrics.ToList();
        foreach (var p in points) TrackingKeys.Validate(p.Key, "metric");
        foreach (var chunk in points.Chunk(MaxMetricsPerBatch))
            LogBatch(runId, "metrics", new JsonArray(chunk.Select(p => (JsonNode)new JsonObject
            {
                ["key"] = p.Key,
                ["value"] = JsonDouble(p.Value),
                ["timestamp"] = p.TimestampMs,
                ["step"] = p.Step,
            }).ToArray()));
    }

    void LogBatch(string runId, string field, JsonArray items) =>
        _client.Post("api/2.0/mlflow/runs/log-batch", new JsonObject { ["run_id"] = runId, [field] = items });

    public void SetTag(string runId, string key, string value)
    {
        TrackingKeys.Validate(key, "tag");
        _client.Post("api/2.0/mlflow/runs/set-tag", new JsonObject { ["run_id"] = runId, ["key"] = key, ["value"] = value });
    }

    public void LogArtifact(string runId, string localPath, string artifactDir = "")
    {
        if (!File.Exists(localPath))
            throw new FileNotFoundException($"{localPath}: artifact file not found", localPath);
        var relative = FileStoreTracker.ArtifactPath(artifactDir, Path.GetFileName(localPath));
        var artifactUri = _artifactUris.TryGetValue(runId, out var known) ? known : FetchArtifactUri(runId);

        if (artifactUri.StartsWith("mlflow-artifacts:", StringComparison.Ordinal))
        {
            _client.PutFile(ArtifactUploadUrl(TrackingUri, artifactUri, relative), localPath, ContentType(localPath));
            return;
        }
        // A server started with a local --default-artifact-root hands out file:// locations; the MLflow client writes there directly.
        if (FileStoreFormat.LocalPathOf(artifactUri) is { } dir)
        {
            AtomicFile.Write(Path.Combine(dir, relative), tmp => File.Copy(localPath, tmp, overwrite: true));
            return;
        }
        throw new NotSupportedException(
            $"Run {runId} stores artifacts at '{artifactUri}'. This tracker uploads through the server's artifact proxy only: " +
            "start the server with --serve-artifacts (the default since MLflow 2.0) so runs get mlflow-artifacts:/ locations.");
    }

    public void EndRun(string runId, RunStatus status)
    {
        if (status is RunStatus.Running or RunStatus.Scheduled)
            throw new ArgumentException($"EndRun needs a terminal status (Finished, Failed, Killed), not {status}.", nameof(status));
        _client.Post("api/2.0/mlflow/runs/update", new JsonObject
        {
            ["run_id"] = runId,
            ["status"] = StatusName(status),
            ["end_time"] = NowMs(),
        });
    }

    /// <summary>
    /// Where MLflow's client uploads an artifact for an mlflow-artifacts: location: the tracking server (or the host the
    /// URI names) at /api/2.0/mlflow-artifacts/artifacts/&lt;path of the URI&gt;/&lt;artifact path&gt;.
    /// </summary>
    public static Uri ArtifactUploadUrl(Uri trackingUri, string artifactUri, string artifactPath)
    {
        const string scheme = "mlflow-artifacts:";
        if (!artifactUri.StartsWith(scheme, StringComparison.Ordinal))
            throw new ArgumentException($"'{artifactUri}' is not an mlflow-artifacts: URI.", nameof(artifactUri));
        var rest = artifactUri[scheme.Length..];
        var authority = trackingUri.Authority;
        if (rest.StartsWith("//", StringComparison.Ordinal))
        {
            var end = rest.IndexOf('/', 2);
            var named = end < 0 ? rest[2..] : rest[2..end];
            rest = end < 0 ? "" : rest[end..];
            if (named.Length > 0) authority = named;
        }
        var segments = trackingUri.AbsolutePath.Split('/')
            .Concat("api/2.0/mlflow-artifacts/artifacts".Split('/'))
            .Concat(rest.Split('/'))
            .Concat(artifactPath.Split('/').Select(Uri.EscapeDataString))
            .Where(s => s.Length > 0);
        return new Uri($"{trackingUri.Scheme}://{authority}/{string.Join('/', segments)}");
    }

    string FetchArtifactUri(string runId)
    {
        var response = _client.Get("api/2.0/mlflow/runs/get", "run_id=" + Uri.EscapeDataString(runId));
        Remember(response?["run"] ?? throw Malformed("runs/get", "run"));
        return _artifactUris.TryGetValue(runId, out var uri) ? uri : throw Malformed("runs/get", "run.info.artifact_uri");
    }

    TrackedRun Remember(JsonNode run)
    {
        var info = run["info"] ?? throw Malformed("run", "info");
        var runId = (string?)info["run_id"] ?? (string?)info["run_uuid"] ?? throw Malformed("run.info", "run_id");
        if ((string?)info["artifact_uri"] is { Length: > 0 } artifactUri) _artifactUris[runId] = artifactUri;
        var tags = KeyValueMap(run["data"]?["tags"]);
        var runName = (string?)info["run_name"] is { Length: > 0 } name ? name : tags.GetValueOrDefault(FileStoreTracker.RunNameTag) ?? "";
        // data.metrics holds each key's latest value, the one at its largest step.
        var lastSteps = (run["data"]?["metrics"]?.AsArray() ?? []).Where(m => m is not null)
            .GroupBy(m => (string?)m!["key"] ?? "").ToDictionary(g => g.Key, g => g.Max(m => (long?)m!["step"] ?? 0));
        return new TrackedRun(runId, Required(info, "experiment_id", "run.info"), runName,
            ParseStatus((string?)info["status"]), tags, KeyValueMap(run["data"]?["params"])) { LastSteps = lastSteps };
    }

    static RunStatus ParseStatus(string? status) =>
        Enum.TryParse<RunStatus>(status, ignoreCase: true, out var s) && Enum.IsDefined(s)
            ? s
            : throw new InvalidDataException($"MLflow answered an unknown run status '{status}'.");

    static string StatusName(RunStatus status) => status.ToString().ToUpperInvariant();

    static JsonArray KeyValues(IEnumerable<KeyValuePair<string, string>> pairs) =>
        new(pairs.Select(kv => (JsonNode)new JsonObject { ["key"] = kv.Key, ["value"] = kv.Value }).ToArray());

    static Dictionary<string, string> KeyValueMap(JsonNode? array) =>
        (array?.AsArray() ?? []).Where(n => n is not null)
            .GroupBy(n => (string?)n!["key"] ?? "")
            .ToDictionary(g => g.Key, g => (string?)g.Last()!["value"] ?? "");

    // Protobuf JSON spells non-finite doubles as strings; finite ones stay numbers.
    static JsonNode JsonDouble(double v) =>
        double.IsNaN(v) ? JsonValue.Create("NaN")
        : double.IsPositiveInfinity(v) ? JsonValue.Create("Infinity")
        : double.IsNegativeInfinity(v) ? JsonValue.Create("-Infinity")
        : JsonValue.Create(v);

    // MLflow's search grammar takes 'single' or "double" quoted strings without escapes.
    static string FilterLiteral(string value) =>
        !value.Contains('\'') ? $"'{value}'"
        : !value.Contains('"') ? $"\"{value}\""
        : throw new ArgumentException($"Tag value '{value}' holds both quote kinds; MLflow's search filter cannot express it.", nameof(value));

    string Required(JsonNode? node, string field, string where) =>
        node?[field] switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<long>(out var l) => l.ToString(CultureInfo.InvariantCulture),
            _ => throw Malformed(where, field),
        };

    InvalidDataException Malformed(string where, string field) =>
        new($"{TrackingUri}: MLflow's {where} answer lacks '{field}'; is this an MLflow tracking server?");

    static string ContentType(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".json" => "application/json",
        ".png" => "image/png",
        ".jpg" or ".jpeg" => "image/jpeg",
        ".csv" => "text/csv",
        ".txt" or ".md" or ".log" => "text/plain",
        ".html" => "text/html",
        ".yaml" or ".yml" => "application/x-yaml",
        ".mp4" => "video/mp4",
        _ => "application/octet-stream",
    };

    static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public void Dispose() => _client.Dispose();
}
