using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Augment.Tests.Experiments.Tracking;

/// <summary>
/// Just enough of an MLflow tracking server (REST API 2.0 and the artifact proxy) on 127.0.0.1, in memory. Every request
/// is checked against the documented shapes (method, path, field names and JSON types, batch limits); a request that
/// breaks them gets MLflow's 400 error body and is recorded in <see cref="Violations"/>.
/// </summary>
public sealed partial class FakeMlflowServer : IDisposable
{
    public sealed class Run
    {
        public required string RunId, ExperimentId, RunName, ArtifactUri;
        public string Status = "RUNNING";
        public long StartTime;
        public long? EndTime;
        public Dictionary<string, string> Tags = [], Params = [];
        public List<(string Key, double Value, long Timestamp, long Step)> Metrics = [];
    }

    readonly HttpListener _listener = new();
    readonly Task _loop;
    readonly Lock _lock = new();
    readonly Queue<(string PathSuffix, int Status)> _injected = new();
    readonly Dictionary<string, string> _experiments = []; // id → name
    readonly Dictionary<string, Run> _runs = [];
    readonly Dictionary<string, (byte[] Bytes, string? ContentType)> _artifacts = [];
    readonly List<string> _violations = [], _requests = [];
    readonly List<int> _logBatchSizes = [];

    public Uri Uri { get; }
    public string? ExpectedAuthorization { get; init; }
    /// <summary>Runs per runs/search page at most, whatever max_results asks, so paging gets exercised.</summary>
    public int SearchPageSize { get; init; } = 2;

    /// <param name="port">A fixed port (a server that comes up where a client is already retrying), else a free one.</param>
    public FakeMlflowServer(int? port = null)
    {
        // HttpListener cannot bind port 0; take a free port from the OS and retry if another process grabs it first.
        for (var attempt = 0; ; attempt++)
        {
            var chosen = port ?? FreePort();
            _listener.Prefixes.Clear();
            _listener.Prefixes.Add($"http://127.0.0.1:{chosen}/");
            try
            {
                _listener.Start();
                Uri = new Uri($"http://127.0.0.1:{chosen}");
                break;
            }
            catch (HttpListenerException) when (attempt < 5) { }
        }
        _loop = Task.Run(Serve);
    }

    public static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    /// <summary>Every request gets 503 (plain text, like a proxy in front of a restarting server) until this time.</summary>
    public DateTime UnavailableUntil { get { lock (_lock) return _unavailableUntil; } set { lock (_lock) _unavailableUntil = value; } }
    DateTime _unavailableUntil;

    /// <summary>After this many runs/log-batch requests carrying metrics have been accepted, the server goes down for good
    /// (<see cref="UnavailableUntil"/> = forever): an outage at a fixed point of a sweep, whatever its threads' timing.</summary>
    public int? DownAfterMetricBatches { get { lock (_lock) return _downAfterMetricBatches; } set { lock (_lock) _downAfterMetricBatches = value; } }
    int? _downAfterMetricBatches;
    int _metricBatches;

    /// <summary>The next request whose path ends with pathSuffix gets this status (plain-text body, like a proxy).</summary>
    public void Inject(string pathSuffix, int status) { lock (_lock) _injected.Enqueue((pathSuffix, status)); }

    public IReadOnlyList<string> Violations { get { lock (_lock) return [.. _violations]; } }
    /// <summary>"METHOD /path" of every request, in arrival order (injected failures included).</summary>
    public IReadOnlyList<string> Requests { get { lock (_lock) return [.. _requests]; } }
    /// <summary>Items (metrics + params + tags) of each accepted runs/log-batch request.</summary>
    public IReadOnlyList<int> LogBatchItemCounts { get { lock (_lock) return [.. _logBatchSizes]; } }
    public Run GetRun(string runId) { lock (_lock) return _runs[runId]; }
    public IReadOnlyList<Run> Runs { get { lock (_lock) return [.. _runs.Values]; } }
    public (byte[] Bytes, string? ContentType) Artifact(string path) { lock (_lock) return _artifacts[path]; }
    public IReadOnlyCollection<string> ArtifactPaths { get { lock (_lock) return [.. _artifacts.Keys]; } }

    async Task Serve()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            try { Handle(context); }
            catch (Exception e) { Respond(context, 500, Error("INTERNAL_ERROR", e.Message)); }
        }
    }

    void Handle(HttpListenerContext context)
    {
        var request = context.Request;
        var path = request.Url!.AbsolutePath;
        byte[] body;
        using (var ms = new MemoryStream()) { request.InputStream.CopyTo(ms); body = ms.ToArray(); }
        lock (_lock)
        {
            _requests.Add($"{request.HttpMethod} {path}");
            if (DateTime.UtcNow < _unavailableUntil)
            {
                RespondText(context, 503, "service unavailable");
                return;
            }
            if (_injected.Count > 0 && path.EndsWith(_injected.Peek().PathSuffix, StringComparison.Ordinal))
            {
                var (_, status) = _injected.Dequeue();
                RespondText(context, status, "upstream unavailable");
                return;
            }
            if (ExpectedAuthorization is not null && request.Headers["Authorization"] != ExpectedAuthorization)
            {
                RespondText(context, 401, "You are not authenticated.");
                return;
            }
            try
            {
                var answer = Route(request.HttpMethod, path, request, body);
                if (answer.Body is null) RespondText(context, answer.Status, "<!doctype html><title>404 Not Found</title>");
                else Respond(context, answer.Status, answer.Body);
            }
            catch (ShapeViolation v)
            {
                _violations.Add($"{request.HttpMethod} {path}: {v.Message}");
                Respond(context, 400, Error("BAD_REQUEST", v.Message));
            }
        }
    }

    (int Status, JsonObject? Body) Route(string method, string path, HttpListenerRequest request, byte[] body)
    {
        const string api = "/api/2.0/mlflow/";
        const string artifacts = "/api/2.0/mlflow-artifacts/artifacts/";
        if (path.StartsWith(artifacts, StringComparison.Ordinal))
        {
            Expect(method == "PUT", $"artifact upload must be PUT, was {method}");
            _artifacts[Uri.UnescapeDataString(path[artifacts.Length..])] = (body, request.ContentType);
            return (200, []);
        }
        // What MLflow's Flask app (or a proxy) answers for a path it has no route for, e.g. a missing prefix.
        if (!path.StartsWith(api, StringComparison.Ordinal)) return (404, null);
        var endpoint = path[api.Length..];
        if (method == "GET")
            return endpoint switch
            {
                "experiments/get-by-name" => GetExperimentByName(Query(request, "experiment_name")),
                "runs/get" => GetRunResponse(Query(request, "run_id")),
                _ => throw new ShapeViolation($"no GET endpoint {endpoint}"),
            };
        Expect(method == "POST", $"{endpoint} must be POST, was {method}");
        Expect(request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true,
            $"Content-Type must be application/json, was '{request.ContentType}'");
        JsonObject json;
        try { json = JsonNode.Parse(body) as JsonObject ?? throw new ShapeViolation("body is not a JSON object"); }
        catch (JsonException e) { throw new ShapeViolation("body is not JSON: " + e.Message); }
        return endpoint switch
        {
            "experiments/create" => CreateExperiment(json),
            "runs/create" => CreateRun(json),
            "runs/log-batch" => LogBatch(json),
            "runs/set-tag" => SetTag(json),
            "runs/update" => UpdateRun(json),
            "runs/search" => SearchRuns(json),
            _ => throw new ShapeViolation($"no POST endpoint {endpoint}"),
        };
    }

    (int, JsonObject) GetExperimentByName(string name)
    {
        var found = _experiments.FirstOrDefault(e => e.Value == name);
        if (found.Key is null)
            return (404, Error("RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'"));
        return (200, new JsonObject { ["experiment"] = ExperimentJson(found.Key) });
    }

    (int, JsonObject) CreateExperiment(JsonObject json)
    {
        Fields(json, required: ["name"], optional: ["artifact_location", "tags"]);
        var name = Str(json, "name");
        if (_experiments.ContainsValue(name))
            return (400, Error("RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists."));
        var id = (_experiments.Count + 1).ToString();
        _experiments[id] = name;
        return (200, new JsonObject { ["experiment_id"] = id });
    }

    (int, JsonObject) CreateRun(JsonObject json)
    {
        Fields(json, required: ["experiment_id", "start_time"], optional: ["user_id", "run_name", "tags"]);
        var experimentId = Str(json, "experiment_id");
        if (!_experiments.ContainsKey(experimentId))
            return (404, Error("RESOURCE_DOES_NOT_EXIST", $"No Experiment with id={experimentId} exists"));
        var runId = Guid.NewGuid().ToString("N");
        var run = new Run
        {
            RunId = runId, ExperimentId = experimentId, RunName = json.ContainsKey("run_name") ? Str(json, "run_name") : "fake-run",
            ArtifactUri = $"mlflow-artifacts:/{experimentId}/{runId}/artifacts", StartTime = Int64(json, "start_time"),
        };
        if (json.ContainsKey("user_id")) Str(json, "user_id");
        foreach (var (k, v) in KeyValues(json, "tags")) run.Tags[k] = v;
        run.Tags.TryAdd("mlflow.runName", run.RunName);
        _runs[runId] = run;
        return (200, new JsonObject { ["run"] = RunJson(run) });
    }

    (int, JsonObject) LogBatch(JsonObject json)
    {
        Fields(json, required: ["run_id"], optional: ["metrics", "params", "tags"]);
        var run = FindRun(Str(json, "run_id"));
        var metrics = json["metrics"] is null ? [] : Array(json, "metrics");
        var parameters = KeyValues(json, "params");
        var tags = KeyValues(json, "tags");
        // MLflow's documented limits for one request.
        if (metrics.Count > 1000 || parameters.Count > 100 || tags.Count > 100 || metrics.Count + parameters.Count + tags.Count > 1000)
            throw new ShapeViolation($"batch too large: {metrics.Count} metrics, {parameters.Count} params, {tags.Count} tags");
        var parsedMetrics = new List<(string, double, long, long)>();
        foreach (var m in metrics)
        {
            var metric = m as JsonObject ?? throw new ShapeViolation("metrics[] items must be objects");
            Fields(metric, required: ["key", "value", "timestamp"], optional: ["step", "dataset_name", "dataset_digest", "model_id", "run_id"]);
            parsedMetrics.Add((Str(metric, "key"), Double(metric, "value"), Int64(metric, "timestamp"),
                metric.ContainsKey("step") ? Int64(metric, "step") : 0));
        }
        foreach (var (k, v) in parameters)
            if (run.Params.TryGetValue(k, out var old) && old != v)
                return (400, Error("INVALID_PARAMETER_VALUE",
                    $"Changing param values is not allowed. Param with key='{k}' was already logged with value='{old}' " +
                    $"for run ID='{run.RunId}'. Attempted logging new value '{v}'."));
        foreach (var (k, v) in parameters) run.Params[k] = v;
        foreach (var (k, v) in tags) run.Tags[k] = v;
        run.Metrics.AddRange(parsedMetrics);
        _logBatchSizes.Add(metrics.Count + parameters.Count + tags.Count);
        if (parsedMetrics.Count > 0 && ++_metricBatches == _downAfterMetricBatches) _unavailableUntil = DateTime.MaxValue;
        return (200, []);
    }

    (int, JsonObject) SetTag(JsonObject json)
    {
        Fields(json, required: ["key", "value"], optional: ["run_id", "run_uuid"]);
        var run = FindRun(json.ContainsKey("run_id") ? Str(json, "run_id") : Str(json, "run_uuid"));
        run.Tags[Str(json, "key")] = Str(json, "value");
        return (200, []);
    }

    (int, JsonObject) UpdateRun(JsonObject json)
    {
        Fields(json, required: ["run_id"], optional: ["run_uuid", "status", "end_time", "run_name"]);
        var run = FindRun(Str(json, "run_id"));
        if (json.ContainsKey("status"))
        {
            var status = Str(json, "status");
            Expect(status is "RUNNING" or "SCHEDULED" or "FINISHED" or "FAILED" or "KILLED", $"status '{status}' is not a RunStatus name");
            run.Status = status;
        }
        if (json.ContainsKey("end_time")) run.EndTime = Int64(json, "end_time");
        return (200, new JsonObject { ["run_info"] = RunJson(run)["info"]!.DeepClone() });
    }

    [GeneratedRegex(@"^tags\.`(?<key>[^`]+)`\s*=\s*(?:'(?<value>[^']*)'|""(?<value>[^""]*)"")$")]
    private static partial Regex TagFilter();

    (int, JsonObject) SearchRuns(JsonObject json)
    {
        Fields(json, required: ["experiment_ids"], optional: ["filter", "run_view_type", "max_results", "order_by", "page_token"]);
        var experimentIds = Array(json, "experiment_ids").Select(n =>
            n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string)v! : throw new ShapeViolation("experiment_ids must be strings")).ToHashSet();
        var filter = json.ContainsKey("filter") ? Str(json, "filter") : "";
        var match = TagFilter().Match(filter);
        Expect(filter == "" || match.Success, $"filter '{filter}' is not tags.`key` = 'value'");
        if (json.ContainsKey("run_view_type"))
            Expect(Str(json, "run_view_type") is "ACTIVE_ONLY" or "DELETED_ONLY" or "ALL", "run_view_type must be ACTIVE_ONLY, DELETED_ONLY or ALL");
        var maxResults = json.ContainsKey("max_results") ? Int64(json, "max_results") : 1000;
        Expect(maxResults is >= 1 and <= 50000, $"max_results {maxResults} out of range");
        var offset = json.ContainsKey("page_token") ? int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(Str(json, "page_token")))) : 0;

        var matching = _runs.Values.Where(r => experimentIds.Contains(r.ExperimentId))
            .Where(r => !match.Success || r.Tags.GetValueOrDefault(match.Groups["key"].Value) == match.Groups["value"].Value)
            .OrderBy(r => r.StartTime).ThenBy(r => r.RunId).ToList();
        var pageSize = (int)Math.Min(maxResults, SearchPageSize);
        var page = matching.Skip(offset).Take(pageSize).ToList();
        // Protobuf JSON leaves out empty repeated fields and unset strings, as a real server does.
        var response = new JsonObject();
        if (page.Count > 0) response["runs"] = new JsonArray(page.Select(r => (JsonNode)RunJson(r)).ToArray());
        if (offset + pageSize < matching.Count)
            response["next_page_token"] = Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + pageSize).ToString()));
        return (200, response);
    }

    (int, JsonObject) GetRunResponse(string runId) =>
        _runs.TryGetValue(runId, out var run)
            ? (200, new JsonObject { ["run"] = RunJson(run) })
            : (404, Error("RESOURCE_DOES_NOT_EXIST", $"Run '{runId}' not found"));

    JsonObject ExperimentJson(string id) => new()
    {
        ["experiment_id"] = id, ["name"] = _experiments[id], ["artifact_location"] = $"mlflow-artifacts:/{id}",
        ["lifecycle_stage"] = "active", ["creation_time"] = 1700000000000, ["last_update_time"] = 1700000000000,
    };

    static JsonObject RunJson(Run run)
    {
        var info = new JsonObject
        {
            ["run_id"] = run.RunId, ["run_uuid"] = run.RunId, ["run_name"] = run.RunName, ["experiment_id"] = run.ExperimentId,
            ["user_id"] = "tester", ["status"] = run.Status, ["start_time"] = run.StartTime,
            ["artifact_uri"] = run.ArtifactUri, ["lifecycle_stage"] = "active",
        };
        if (run.EndTime is { } end) info["end_time"] = end;
        var data = new JsonObject
        {
            ["tags"] = new JsonArray(run.Tags.Select(kv => (JsonNode)new JsonObject { ["key"] = kv.Key, ["value"] = kv.Value }).ToArray()),
        };
        // Like MLflow: each key's latest value only, the one at the largest step (then timestamp, then value).
        var latest = run.Metrics.GroupBy(m => m.Key).Select(g => g.MaxBy(m => (m.Step, m.Timestamp, m.Value))).ToList();
        if (latest.Count > 0)
            data["metrics"] = new JsonArray(latest.Select(m => (JsonNode)new JsonObject
            {
                ["key"] = m.Key, ["timestamp"] = m.Timestamp, ["step"] = m.Step,
                ["value"] = double.IsFinite(m.Value) ? m.Value : m.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }).ToArray());
        if (run.Params.Count > 0)
            data["params"] = new JsonArray(run.Params.Select(kv => (JsonNode)new JsonObject { ["key"] = kv.Key, ["value"] = kv.Value }).ToArray());
        return new JsonObject { ["info"] = info, ["data"] = data };
    }

    Run FindRun(string runId) =>
        _runs.TryGetValue(runId, out var run) ? run : throw new ShapeViolation($"run_id '{runId}' does not exist");

    sealed class ShapeViolation(string message) : Exception(message);

    static void Expect(bool ok, string violation) { if (!ok) throw new ShapeViolation(violation); }

    static string Query(HttpListenerRequest request, string name) =>
        request.QueryString[name] ?? throw new ShapeViolation($"query parameter '{name}' missing");

    static void Fields(JsonObject json, string[] required, string[] optional)
    {
        foreach (var name in required) Expect(json.ContainsKey(name), $"required field '{name}' missing");
        foreach (var (name, _) in json)
            Expect(required.Contains(name) || optional.Contains(name), $"field '{name}' is not in the documented request");
    }

    static string Str(JsonObject json, string field) =>
        json[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? (string)v! : throw new ShapeViolation($"'{field}' must be a string");

    static long Int64(JsonObject json, string field) =>
        json[field] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var l)
            ? l : throw new ShapeViolation($"'{field}' must be an integer number, was {json[field]?.ToJsonString() ?? "null"}");

    static double Double(JsonObject json, string field) => json[field] switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && (string)v! is "NaN" or "Infinity" or "-Infinity" =>
            double.Parse((string)v!, System.Globalization.CultureInfo.InvariantCulture),
        var other => throw new ShapeViolation($"'{field}' must be a number, was {other?.ToJsonString() ?? "null"}"),
    };

    static JsonArray Array(JsonObject json, string field) =>
        json[field] as JsonArray ?? throw new ShapeViolation($"'{field}' must be an array");

    static List<(string Key, string Value)> KeyValues(JsonObject json, string field)
    {
        if (json[field] is null) return [];
        return Array(json, field).Select(n =>
        {
            var kv = n as JsonObject ?? throw new ShapeViolation($"{field}[] items must be objects");
            Fields(kv, required: ["key", "value"], optional: []);
            return (Str(kv, "key"), Str(kv, "value"));
        }).ToList();
    }

    static JsonObject Error(string code, string message) => new() { ["error_code"] = code, ["message"] = message };

    static void Respond(HttpListenerContext context, int status, JsonObject body)
    {
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }

    static void RespondText(HttpListenerContext context, int status, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        context.Response.ContentLength64 = bytes.Length;
        context.Response.OutputStream.Write(bytes);
        context.Response.Close();
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
