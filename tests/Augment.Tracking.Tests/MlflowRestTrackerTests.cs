using System.Net;
using Augment.Tracking;

namespace Augment.Tests.Experiments.Tracking;

public class MlflowRestTrackerTests
{
    static MlflowRestOptions Fast(string? token = null) =>
        new() { Token = token, BackoffFactor = TimeSpan.FromMilliseconds(5), RequestTimeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public void FullRunUsesTheDocumentedRestShapesAndSplitsBatchesAtMlflowLimits()
    {
        using var server = new FakeMlflowServer { ExpectedAuthorization = "Bearer s3cret" };
        using var tracker = new MlflowRestTracker(server.Uri + "/", Fast(token: "s3cret"));

        var exp = tracker.GetOrCreateExperiment("augment-rest");
        Assert.Equal(exp, tracker.GetOrCreateExperiment("augment-rest"));
        Assert.Equal(
            ["GET /api/2.0/mlflow/experiments/get-by-name", "POST /api/2.0/mlflow/experiments/create", "GET /api/2.0/mlflow/experiments/get-by-name"],
            server.Requests);

        var run = tracker.StartRun(exp, "demo-medgen-r1-s0", new Dictionary<string, string> { ["cell"] = "c1", ["sweep"] = "s1" });
        Assert.Matches("^[0-9a-f]{32}$", run.RunId);
        Assert.Equal(exp, run.ExperimentId);
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal("c1", run.Tags["cell"]);
        Assert.Equal("demo-medgen-r1-s0", run.Tags["mlflow.runName"]);

        var parameters = Enumerable.Range(0, 250).ToDictionary(i => $"p{i:000}", i => $"v{i}");
        tracker.LogParams(run.RunId, parameters);
        server.Inject("runs/log-batch", 503); // the first metrics batch fails once and is retried
        var metrics = Enumerable.Range(0, 2500).Select(i => new MetricPoint(i % 2 == 0 ? "train/loss" : "val/f1", 1.0 / (i + 1), i / 2, 1_700_000_000_000 + i)).ToList();
        tracker.LogMetrics(run.RunId, metrics);
        tracker.LogMetrics(run.RunId, [new MetricPoint("odd", double.NaN, 0, 1_700_000_000_000)]);
        tracker.SetTag(run.RunId, "augment/status", "done");

        var stored = server.GetRun(run.RunId);
        Assert.Equal(parameters.OrderBy(kv => kv.Key), stored.Params.OrderBy(kv => kv.Key));
        Assert.Equal(metrics.Select(m => (m.Key, m.Value, m.TimestampMs, m.Step)), stored.Metrics.Take(2500));
        Assert.True(double.IsNaN(stored.Metrics[^1].Value));
        Assert.Equal("done", stored.Tags["augment/status"]);
        // 250 params → 100+100+50; 2500 metrics → 1000+1000+500; then the NaN metric.
        Assert.Equal([100, 100, 50, 1000, 1000, 500, 1], server.LogBatchItemCounts);
        Assert.Equal(8, server.Requests.Count(r => r.EndsWith("runs/log-batch"))); // one retried after the 503

        var png = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(png, [0x89, 0x50, 0x4E, 0x47, 9, 8, 7]);
            tracker.LogArtifact(run.RunId, png, "plots");
            var (bytes, contentType) = server.Artifact($"{exp}/{run.RunId}/artifacts/plots/{Path.GetFileName(png)}");
            Assert.Equal(File.ReadAllBytes(png), bytes);
            Assert.Equal("application/octet-stream", contentType);
        }
        finally { File.Delete(png); }

        tracker.EndRun(run.RunId, RunStatus.Finished);
        Assert.Equal("FINISHED", stored.Status);
        Assert.True(stored.EndTime >= stored.StartTime);

        Assert.Empty(server.Violations);
    }

    [Fact]
    public void FindRunsFollowsSearchPagesAndReturnsOnlyMatchingRuns()
    {
        using var server = new FakeMlflowServer { SearchPageSize = 2 };
        using var tracker = new MlflowRestTracker(server.Uri.ToString(), Fast());
        var exp = tracker.GetOrCreateExperiment("resume");
        var other = tracker.GetOrCreateExperiment("other");
        var wanted = Enumerable.Range(0, 5)
            .Select(i => tracker.StartRun(exp, $"c1-try{i}", new Dictionary<string, string> { ["cell"] = "c1" }).RunId).ToList();
        tracker.StartRun(exp, "c2", new Dictionary<string, string> { ["cell"] = "c2" });
        tracker.StartRun(other, "c1-elsewhere", new Dictionary<string, string> { ["cell"] = "c1" });
        tracker.EndRun(wanted[0], RunStatus.Killed);

        var found = tracker.FindRuns(exp, "cell", "c1");
        Assert.Equal(wanted.Order(), found.Select(r => r.RunId).Order());
        Assert.Equal(RunStatus.Killed, found.Single(r => r.RunId == wanted[0]).Status);
        Assert.Equal(3, server.Requests.Count(r => r.EndsWith("runs/search"))); // pages of 2, 2, 1
        Assert.Empty(tracker.FindRuns(exp, "cell", "c3"));
        Assert.Empty(server.Violations);
    }

    [Fact]
    public void ClientErrorsFailAtOnceNamingEndpointStatusAndMlflowError()
    {
        using var server = new FakeMlflowServer();
        using var tracker = new MlflowRestTracker(server.Uri.ToString(), Fast());
        var run = tracker.StartRun(tracker.GetOrCreateExperiment("errors"), "r", new Dictionary<string, string>());
        tracker.LogParams(run.RunId, new Dictionary<string, string> { ["lr"] = "0.1" });
        var before = server.Requests.Count;

        var e = Assert.Throws<MlflowRestException>(() => tracker.LogParams(run.RunId, new Dictionary<string, string> { ["lr"] = "0.2" }));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("INVALID_PARAMETER_VALUE", e.ErrorCode);
        Assert.Equal("POST /api/2.0/mlflow/runs/log-batch", e.Endpoint);
        Assert.Contains("POST /api/2.0/mlflow/runs/log-batch", e.Message);
        Assert.Contains("400", e.Message);
        Assert.Contains("INVALID_PARAMETER_VALUE", e.Message);
        Assert.Contains("Changing param values is not allowed", e.Message);
        Assert.Equal(before + 1, server.Requests.Count); // a 4xx is not retried
        Assert.Empty(server.Violations);
    }

    [Fact]
    public void ServerErrorsAreRetriedABoundedNumberOfTimes()
    {
        using var server = new FakeMlflowServer();
        using var tracker = new MlflowRestTracker(server.Uri.ToString(), Fast() with { MaxRetries = 2 });
        for (var i = 0; i < 3; i++) server.Inject("experiments/get-by-name", 503);

        var e = Assert.Throws<MlflowRestException>(() => tracker.GetOrCreateExperiment("never"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.Contains("after 3 tries", e.Message);
        Assert.Equal(3, server.Requests.Count);

        server.Inject("experiments/get-by-name", 429);
        Assert.Equal("1", tracker.GetOrCreateExperiment("eventually")); // one 429, then through
    }

    [Fact]
    public void UnreachableServerFailsWithAClearErrorAfterRetries()
    {
        var closedPort = FakeMlflowServer.FreePort();
        using var tracker = new MlflowRestTracker($"http://127.0.0.1:{closedPort}", Fast() with { MaxRetries = 1 });
        var e = Assert.Throws<MlflowRestException>(() => tracker.GetOrCreateExperiment("x"));
        Assert.Null(e.StatusCode);
        Assert.Contains($"127.0.0.1:{closedPort}", e.Message);
        Assert.Contains("after 2 tries", e.Message);
    }

    [Fact]
    public void WrongCredentialsAreAClearUnauthorizedError()
    {
        using var server = new FakeMlflowServer { ExpectedAuthorization = "Basic " + Convert.ToBase64String("me:right"u8.ToArray()) };
        using var good = new MlflowRestTracker(server.Uri.ToString(), Fast() with { Username = "me", Password = "right" });
        Assert.Equal("1", good.GetOrCreateExperiment("auth"));
        using var bad = new MlflowRestTracker(server.Uri.ToString(), Fast() with { Username = "me", Password = "wrong" });
        var e = Assert.Throws<MlflowRestException>(() => bad.GetOrCreateExperiment("auth"));
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }

    // MLflow's own resolution table for mlflow-artifacts: URIs (tests/store/artifact/test_mlflow_artifact_repo.py).
    [Theory]
    [InlineData("http://localhost:5000", "mlflow-artifacts://myhostname:4242/my/artifact/path/hostport", "http://myhostname:4242/api/2.0/mlflow-artifacts/artifacts/my/artifact/path/hostport/f.png")]
    [InlineData("http://localhost:5000/", "mlflow-artifacts://myhostname/my/artifact/path/host", "http://myhostname/api/2.0/mlflow-artifacts/artifacts/my/artifact/path/host/f.png")]
    [InlineData("http://localhost:5000", "mlflow-artifacts:/my/artifact/path/nohost", "http://localhost:5000/api/2.0/mlflow-artifacts/artifacts/my/artifact/path/nohost/f.png")]
    [InlineData("http://localhost:5000", "mlflow-artifacts:///my/artifact/path/redundant", "http://localhost:5000/api/2.0/mlflow-artifacts/artifacts/my/artifact/path/redundant/f.png")]
    [InlineData("https://host/mlflow", "mlflow-artifacts:/3/abc/artifacts", "https://host/mlflow/api/2.0/mlflow-artifacts/artifacts/3/abc/artifacts/f.png")]
    public void ArtifactUploadUrlFollowsMlflowResolution(string trackingUri, string artifactUri, string expected) =>
        Assert.Equal(expected, MlflowRestTracker.ArtifactUploadUrl(new Uri(trackingUri), artifactUri, "f.png").AbsoluteUri);
}
