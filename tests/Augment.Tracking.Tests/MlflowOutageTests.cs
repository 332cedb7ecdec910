using System.Net;
using Augment.Tracking;

namespace Augment.Tests.Experiments.Tracking;

/// <summary>Retries with MLflow's meanings and the preflight check, against the fake server's failure modes.</summary>
public class MlflowOutageTests
{
    // Milliseconds instead of seconds: 7 retries wait 0+40+80+160+320+640+1280 ms at most.
    static MlflowRestOptions Fast(int retries = 7) =>
        new() { MaxRetries = retries, BackoffFactor = TimeSpan.FromMilliseconds(20), RequestTimeout = TimeSpan.FromSeconds(10) };

    [Fact]
    public void DefaultBackoffIsUrllib3sAndRidesOutAboutAMinute()
    {
        var options = new MlflowRestOptions();
        Assert.Equal(7, options.MaxRetries);
        var waits = Enumerable.Range(1, options.MaxRetries).Select(options.Backoff).ToList();
        Assert.Equal(new[] { 0.0, 1, 2, 4, 8, 16, 32 }, waits.Select(w => w.TotalSeconds));
        Assert.Equal(63, waits.Sum(w => w.TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(120), (options with { BackoffFactor = TimeSpan.FromSeconds(2) }).Backoff(7)); // capped like urllib3
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(429, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(503, true)]
    [InlineData(504, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(403, false)]
    [InlineData(404, false)]
    [InlineData(501, false)]
    public void OnlyTransientStatusesAreRetried(int status, bool retried)
    {
        using var server = new FakeMlflowServer();
        using var tracker = new MlflowRestTracker(server.Uri.ToString(), Fast(retries: 2));
        server.Inject("experiments/get-by-name", status);
        if (retried)
        {
            Assert.Equal("1", tracker.GetOrCreateExperiment("through"));
            Assert.Equal(2, server.Requests.Count(r => r.EndsWith("get-by-name")));
        }
        else
        {
            var e = Assert.Throws<MlflowRestException>(() => tracker.GetOrCreateExperiment("refused"));
            Assert.Equal((HttpStatusCode)status, e.StatusCode);
            Assert.Single(server.Requests);
        }
    }

    [Fact]
    public void AServerAnswering503ForAWhileIsRiddenOut()
    {
        using var server = new FakeMlflowServer { UnavailableUntil = DateTime.UtcNow.AddMilliseconds(300) };
        using var tracker = new MlflowRestTracker(server.Uri.ToString(), Fast());
        var id = tracker.GetOrCreateExperiment("after the restart");
        var run = tracker.StartRun(id, "r", new Dictionary<string, string>());
        Assert.Equal("RUNNING", server.GetRun(run.RunId).Status);
        Assert.True(server.Requests.Count > 3, string.Join(", ", server.Requests));
        Assert.Empty(server.Violations);
    }

    [Fact]
    public void AServerThatIsNotListeningYetIsRiddenOut()
    {
        var port = FakeMlflowServer.FreePort();
        using var tracker = new MlflowRestTracker($"http://127.0.0.1:{port}", Fast());
        FakeMlflowServer? server = null;
        var starter = Task.Run(async () =>
        {
            await Task.Delay(200);
            server = new FakeMlflowServer(port);
        });
        try
        {
            Assert.Equal("1", tracker.GetOrCreateExperiment("connection refused, then up"));
        }
        finally
        {
            starter.Wait();
            server?.Dispose();
        }
    }

    [Fact]
    public void RetriesGiveUpWithTheCountAndTheLastError()
    {
        using var server = new FakeMlflowServer { UnavailableUntil = DateTime.MaxValue };
        using var tracker = new MlflowRestTracker(server.Uri.ToString(), Fast(retries: 3));
        var e = Assert.Throws<MlflowRestException>(() => tracker.GetOrCreateExperiment("never"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.Contains("after 4 tries", e.Message);
        Assert.Equal(4, server.Requests.Count);
    }

    [Fact]
    public void PreflightPassesAServerThatLacksEvenTheDefaultExperiment()
    {
        using var server = new FakeMlflowServer();
        using var tracker = new MlflowRestTracker(server.Uri.ToString(), Fast());
        tracker.CheckReachable();
        Assert.Equal(["GET /api/2.0/mlflow/experiments/get-by-name"], server.Requests);
    }

    [Fact]
    public void PreflightNamesTheUriWhenNothingListensAndDoesNotRetry()
    {
        var uri = $"http://127.0.0.1:{FakeMlflowServer.FreePort()}/";
        using var tracker = new MlflowRestTracker(uri, Fast(retries: 100));
        var e = Assert.Throws<TrackingUnavailableException>(tracker.CheckReachable);
        Assert.StartsWith($"Tracking server {uri} is unreachable: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void PreflightReportsAWrongPathPrefixAs404InOneLine()
    {
        using var server = new FakeMlflowServer();
        var uri = server.Uri + "mlflow/";
        using var tracker = new MlflowRestTracker(uri, Fast());
        var e = Assert.Throws<TrackingUnavailableException>(tracker.CheckReachable);
        Assert.Equal($"Tracking URI {uri.TrimEnd('/')} has no MLflow REST API (404 for GET /api/2.0/mlflow/experiments/get-by-name): " +
            "check its host, port and path prefix.", e.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public void PreflightFailsAtOnceOnAServerThatIsDown()
    {
        using var server = new FakeMlflowServer { UnavailableUntil = DateTime.MaxValue };
        using var tracker = new MlflowRestTracker(server.Uri.ToString(), Fast());
        var e = Assert.Throws<TrackingUnavailableException>(tracker.CheckReachable);
        Assert.Contains("503", e.Message);
        Assert.Single(server.Requests);
    }
}

[Collection("Console")] // sets process-wide environment variables, as the CLI tests do
public class MlflowEnvironmentTests
{
    [Fact]
    public void MlflowEnvironmentVariablesSetRetriesBackoffAndTimeout()
    {
        using var env = new EnvironmentScope(new()
        {
            [MlflowRestOptions.MaxRetriesVariable] = "3",
            [MlflowRestOptions.BackoffFactorVariable] = "0.25",
            [MlflowRestOptions.TimeoutVariable] = "15",
        });
        var options = MlflowRestOptions.FromEnvironment();
        Assert.Equal(3, options.MaxRetries);
        Assert.Equal(TimeSpan.FromSeconds(0.25), options.BackoffFactor);
        Assert.Equal(TimeSpan.FromSeconds(15), options.RequestTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.Backoff(3));

        Environment.SetEnvironmentVariable(MlflowRestOptions.MaxRetriesVariable, "many");
        var e = Assert.Throws<ArgumentException>(MlflowRestOptions.FromEnvironment);
        Assert.Contains("MLFLOW_HTTP_REQUEST_MAX_RETRIES='many'", e.Message);
    }
}
