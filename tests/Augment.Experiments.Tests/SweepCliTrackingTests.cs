using System.CommandLine;
using Augment.Cli.Commands;
using Augment.Experiments.Sweep;
using Augment.Tracking;
using Augment.Tests.Experiments.Tracking;

namespace Augment.Tests.Experiments;

[Collection("Console")] // redirects Console.Out and sets process-wide environment variables
public class SweepCliTrackingTests
{
    static (int Code, string Out) Sweep(string configPath)
    {
        var root = new RootCommand("augment");
        root.Subcommands.Add(SweepCommand.Create());
        return CliCapture.Run(() => root.Parse(["sweep", configPath]).Invoke());
    }

    // One real-only cell, tracked at trackingUri.
    static string WriteConfig(string dir, string trackingUri)
    {
        var path = Path.Combine(dir, "experiments.yaml");
        File.WriteAllText(path, TinySweep.Yaml(Path.Combine(dir, "run"), "  real: {backend: none}", "[0]", "[0]") + $"\ntracking_uri: {trackingUri}\n");
        return path;
    }

    static void AssertStoppedBeforeAnyWork(string dir, int code, string output, string expectedLine)
    {
        Assert.Equal(SweepCommand.CannotStart, code);
        Assert.Single(output.Split('\n'), line => line.Contains(expectedLine));
        Assert.DoesNotContain("Exception", output);
        Assert.DoesNotContain("   at ", output);
        // Not one dataset rendered, nothing written.
        Assert.False(File.Exists(Path.Combine(dir, "run", SweepSummary.FileName)));
        Assert.False(Directory.Exists(Path.Combine(dir, "run", "cache")));
    }

    [Fact]
    public void NothingListeningStopsTheSweepInOneLineBeforeAnyWork()
    {
        var dir = TinySweep.TempDir("cli-refused");
        using var cleanup = new DeleteOnDispose(dir);
        var uri = $"http://127.0.0.1:{FakeMlflowServer.FreePort()}/";
        var (code, output) = Sweep(WriteConfig(dir, uri));
        AssertStoppedBeforeAnyWork(dir, code, output, $"Tracking server {uri} is unreachable: ");
    }

    [Fact]
    public void AWrongPathPrefixStopsTheSweepInOneLineBeforeAnyWork()
    {
        var dir = TinySweep.TempDir("cli-prefix");
        using var cleanup = new DeleteOnDispose(dir);
        using var server = new FakeMlflowServer();
        var (code, output) = Sweep(WriteConfig(dir, server.Uri + "mlflow"));
        AssertStoppedBeforeAnyWork(dir, code, output, "has no MLflow REST API (404 for GET /api/2.0/mlflow/experiments/get-by-name)");
    }

    [Fact]
    public void LostTrackingStillWritesTheSummaryAndReportExits3AndTheNextRunBackfills()
    {
        var dir = TinySweep.TempDir("cli-exit3");
        using var cleanup = new DeleteOnDispose(dir);
        using var server = new FakeMlflowServer();
        var config = WriteConfig(dir, server.Uri.ToString());

        int code;
        string output;
        using (new EnvironmentScope(new() { [MlflowRestOptions.MaxRetriesVariable] = "0" }))
        {
            server.Inject("runs/update", 503); // the cell's runs/update, with no retry allowed
            (code, output) = Sweep(config);
        }
        Assert.True(code == SweepCommand.TrackingIncomplete, output);
        Assert.Contains("Cells: 1 run now, 0 already done, 0 failed of 1.", output);
        Assert.Contains("Report: ", output);
        Assert.Contains("TRACKING INCOMPLETE", output);
        Assert.Contains("cell demo/real/r0/s0 is not (fully) tracked: POST /api/2.0/mlflow/runs/update", output);
        Assert.DoesNotContain("   at ", output);
        var cell = Assert.Single(server.Runs, r => r.Tags.GetValueOrDefault(SweepTracking.RoleTag) == "cell");
        Assert.Equal("RUNNING", cell.Status);

        (code, output) = Sweep(config);
        Assert.True(code == SweepCommand.Ok, output);
        Assert.DoesNotContain("TRACKING INCOMPLETE", output);
        Assert.Equal("FINISHED", server.GetRun(cell.RunId).Status);
        Assert.Equal(2, server.Runs.Count);
        Assert.Empty(server.Violations);
    }
}
