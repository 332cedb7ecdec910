using System.Text;
using Augment.Tracking;

namespace Augment.Tests.Experiments.Tracking;

/// <summary>A clock the test moves by hand, so meta.yaml times are known.</summary>
sealed class ManualClock(long startMs) : TimeProvider
{
    public long NowMs { get; set; } = startMs;
    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(NowMs);
}

sealed class TempDir : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("augment-tracking-").FullName;
    public void Dispose() { try { Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

public class FileStoreTrackerTests
{
    const long T0 = 1_700_000_000_000;

    static string Uri(string path) => new Uri(path).AbsoluteUri;

    [Fact]
    public void NewStoreHasTheDefaultExperimentAndTrashAsMlflowCreatesThem()
    {
        using var tmp = new TempDir();
        var root = System.IO.Path.Combine(tmp.Path, "mlruns");
        _ = new FileStoreTracker(root, new ManualClock(T0));

        Assert.True(Directory.Exists(System.IO.Path.Combine(root, ".trash")));
        Assert.Equal(
            $"artifact_location: {Uri(System.IO.Path.Combine(root, "0"))}\n" +
            $"creation_time: {T0}\n" +
            "experiment_id: '0'\n" +
            $"last_update_time: {T0}\n" +
            "lifecycle_stage: active\n" +
            "name: Default\n",
            File.ReadAllText(System.IO.Path.Combine(root, "0", "meta.yaml")));
    }

    [Fact]
    public void LoggedRunHasMlflowLayoutAndReadsBackEqual()
    {
        using var tmp = new TempDir();
        var root = System.IO.Path.Combine(tmp.Path, "mlruns");
        var clock = new ManualClock(T0);
        var tracker = new FileStoreTracker(root, clock);

        var experimentId = tracker.GetOrCreateExperiment("augment demo");
        Assert.Equal("1", experimentId);
        var expDir = System.IO.Path.Combine(root, experimentId);
        Assert.Equal(
            $"artifact_location: {Uri(expDir)}\ncreation_time: {T0}\nexperiment_id: '1'\nlast_update_time: {T0}\n" +
            "lifecycle_stage: active\nname: augment demo\n",
            File.ReadAllText(System.IO.Path.Combine(expDir, "meta.yaml")));

        clock.NowMs = T0 + 5;
        var run = tracker.StartRun(experimentId, "demo-medgen-r1-s0",
            new Dictionary<string, string> { ["cell"] = "demo/medgen/1/0", ["augment/sweep"] = "s1" });
        Assert.Matches("^[0-9a-f]{32}$", run.RunId);
        Assert.Equal('4', run.RunId[12]); // uuid4
        Assert.Equal(RunStatus.Running, run.Status);
        Assert.Equal("demo-medgen-r1-s0", run.Tags["mlflow.runName"]);

        var runDir = System.IO.Path.Combine(expDir, run.RunId);
        var artifactUri = Uri(System.IO.Path.Combine(runDir, "artifacts"));
        string RunMeta(string endTime, int status) =>
            $"artifact_uri: {artifactUri}\nend_time: {endTime}\nentry_point_name: ''\nexperiment_id: '1'\n" +
            $"lifecycle_stage: active\nrun_id: {run.RunId}\nrun_name: demo-medgen-r1-s0\nrun_uuid: {run.RunId}\n" +
            $"source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: {T0 + 5}\nstatus: {status}\ntags: []\n" +
            $"user_id: {Environment.UserName}\n";
        Assert.Equal(RunMeta("null", 1), File.ReadAllText(System.IO.Path.Combine(runDir, "meta.yaml")));
        foreach (var folder in new[] { "metrics", "params", "artifacts" })
            Assert.True(Directory.Exists(System.IO.Path.Combine(runDir, folder)), folder);

        var parameters = new Dictionary<string, string> { ["dataset"] = "demo", ["ratio"] = "0.5", ["git commit"] = "abc123" };
        tracker.LogParams(run.RunId, parameters);
        tracker.LogParams(run.RunId, new Dictionary<string, string> { ["ratio"] = "0.5" }); // same value again is allowed
        Assert.Equal("demo"u8.ToArray(), File.ReadAllBytes(System.IO.Path.Combine(runDir, "params", "dataset")));
        Assert.Equal("0.5"u8.ToArray(), File.ReadAllBytes(System.IO.Path.Combine(runDir, "params", "ratio")));

        MetricPoint[] loss = [new("train/loss", 0.9, 0, T0 + 100), new("train/loss", 0.5, 1, T0 + 200), new("train/loss", 1e-05, 2, T0 + 300)];
        MetricPoint[] f1 = [new("f1", 1.0, 0, T0 + 400), new("f1", 3.0, 1, T0 + 500), new("f1", 0.0001, 2, T0 + 600)];
        MetricPoint[] odd = [new("odd", 12345678901234567890.0, 0, T0 + 700), new("odd", double.NaN, 1, T0 + 800), new("odd", -0.25, 2, T0 + 900)];
        tracker.LogMetrics(run.RunId, loss.Concat(f1.Take(1)));
        tracker.LogMetrics(run.RunId, f1.Skip(1).Concat(odd)); // a later call appends
        // Keys with '/' become subfolders; values are written as Python's str(float).
        Assert.Equal($"{T0 + 100} 0.9 0\n{T0 + 200} 0.5 1\n{T0 + 300} 1e-05 2\n",
            File.ReadAllText(System.IO.Path.Combine(runDir, "metrics", "train", "loss")));
        Assert.Equal($"{T0 + 400} 1.0 0\n{T0 + 500} 3.0 1\n{T0 + 600} 0.0001 2\n",
            File.ReadAllText(System.IO.Path.Combine(runDir, "metrics", "f1")));
        Assert.Equal($"{T0 + 700} 1.2345678901234567e+19 0\n{T0 + 800} nan 1\n{T0 + 900} -0.25 2\n",
            File.ReadAllText(System.IO.Path.Combine(runDir, "metrics", "odd")));

        tracker.SetTag(run.RunId, "augment/status", "done");
        Assert.Equal("done"u8.ToArray(), File.ReadAllBytes(System.IO.Path.Combine(runDir, "tags", "augment", "status")));
        Assert.Equal("demo-medgen-r1-s0"u8.ToArray(), File.ReadAllBytes(System.IO.Path.Combine(runDir, "tags", "mlflow.runName")));

        var metricsJson = System.IO.Path.Combine(tmp.Path, "metrics.json");
        File.WriteAllText(metricsJson, "{\"f1\": 0.5}");
        var png = System.IO.Path.Combine(tmp.Path, "confusion.png");
        File.WriteAllBytes(png, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3]);
        tracker.LogArtifact(run.RunId, metricsJson);
        tracker.LogArtifact(run.RunId, png, "plots");
        Assert.Equal(File.ReadAllBytes(metricsJson), File.ReadAllBytes(System.IO.Path.Combine(runDir, "artifacts", "metrics.json")));
        Assert.Equal(File.ReadAllBytes(png), File.ReadAllBytes(System.IO.Path.Combine(runDir, "artifacts", "plots", "confusion.png")));

        clock.NowMs = T0 + 9_000;
        tracker.EndRun(run.RunId, RunStatus.Finished);
        Assert.Equal(RunMeta((T0 + 9_000).ToString(), 3), File.ReadAllText(System.IO.Path.Combine(runDir, "meta.yaml")));

        // A fresh reader (another process, the report) sees exactly what was logged.
        var stored = new FileStoreReader(root).Run(run.RunId);
        Assert.Equal(run.RunId, stored.RunId);
        Assert.Equal("1", stored.ExperimentId);
        Assert.Equal("demo-medgen-r1-s0", stored.RunName);
        Assert.Equal(RunStatus.Finished, stored.Status);
        Assert.Equal(T0 + 5, stored.StartTimeMs);
        Assert.Equal(T0 + 9_000, stored.EndTimeMs);
        Assert.Equal(System.IO.Path.Combine(runDir, "artifacts"), stored.ArtifactDirectory);
        Assert.Equal(parameters.OrderBy(kv => kv.Key), stored.Params.OrderBy(kv => kv.Key));
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["cell"] = "demo/medgen/1/0", ["augment/sweep"] = "s1", ["augment/status"] = "done",
                ["mlflow.runName"] = "demo-medgen-r1-s0",
            }.OrderBy(kv => kv.Key),
            stored.Tags.OrderBy(kv => kv.Key));
        Assert.Equal(["f1", "odd", "train/loss"], stored.Metrics.Keys.Order());
        Assert.Equal(loss, stored.Metrics["train/loss"]);
        Assert.Equal(f1, stored.Metrics["f1"]);
        Assert.Equal(odd, stored.Metrics["odd"]);
        Assert.Equal(loss[2], stored.Latest("train/loss"));
        var tracked = stored.ToTrackedRun();
        Assert.Equal(run with { Status = RunStatus.Finished, Tags = stored.Tags, Params = stored.Params, LastSteps = tracked.LastSteps }, tracked);
        Assert.Equal(stored.Metrics.ToDictionary(m => m.Key, m => m.Value.Max(p => p.Step)), tracked.LastSteps);

        var experiments = new FileStoreReader(root).Experiments();
        Assert.Equal(["0", "1"], experiments.Select(e => e.ExperimentId));
        Assert.Equal(["Default", "augment demo"], experiments.Select(e => e.Name));
        Assert.Equal([run.RunId], new FileStoreReader(root).Runs("1").Select(r => r.RunId));
    }

    [Fact]
    public void GetOrCreateExperimentIsIdempotentAcrossProcesses()
    {
        using var tmp = new TempDir();
        var first = new FileStoreTracker(tmp.Path);
        var a = first.GetOrCreateExperiment("sweep-a");
        var b = first.GetOrCreateExperiment("sweep-b");
        Assert.NotEqual(a, b);
        Assert.Equal(a, first.GetOrCreateExperiment("sweep-a"));
        var second = new FileStoreTracker(tmp.Path); // a resumed sweep opens the same store
        Assert.Equal(a, second.GetOrCreateExperiment("sweep-a"));
        Assert.Equal(b, second.GetOrCreateExperiment("sweep-b"));
        Assert.Equal(3, new FileStoreReader(tmp.Path).Experiments().Count);
    }

    [Fact]
    public void FindRunsByTagFindsEveryMatchingRunAfterReopening()
    {
        using var tmp = new TempDir();
        var tracker = new FileStoreTracker(tmp.Path);
        var exp = tracker.GetOrCreateExperiment("resume");
        var other = tracker.GetOrCreateExperiment("other");
        var c1 = tracker.StartRun(exp, "c1-try1", new Dictionary<string, string> { ["cell"] = "c1" });
        var c2 = tracker.StartRun(exp, "c2", new Dictionary<string, string> { ["cell"] = "c2" });
        tracker.EndRun(c2.RunId, RunStatus.Finished);
        var c1Again = tracker.StartRun(exp, "c1-try2", new Dictionary<string, string> { ["cell"] = "c1" });
        tracker.LogParams(c1Again.RunId, new Dictionary<string, string> { ["seed"] = "7" });
        tracker.StartRun(other, "c1-elsewhere", new Dictionary<string, string> { ["cell"] = "c1" });

        var reopened = new FileStoreTracker(tmp.Path);
        var found = reopened.FindRuns(exp, "cell", "c1");
        Assert.Equal(new[] { c1.RunId, c1Again.RunId }.Order(), found.Select(r => r.RunId).Order());
        Assert.All(found, r => Assert.Equal(RunStatus.Running, r.Status)); // a killed run stays RUNNING and is still found
        Assert.Equal("7", found.Single(r => r.RunId == c1Again.RunId).Params["seed"]);
        var finished = Assert.Single(reopened.FindRuns(exp, "cell", "c2"));
        Assert.Equal(RunStatus.Finished, finished.Status);
        Assert.Empty(reopened.FindRuns(exp, "cell", "c3"));
        Assert.Empty(reopened.FindRuns(exp, "no-such-tag", "c1"));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a//b")]
    [InlineData("/abs")]
    [InlineData("trailing/")]
    [InlineData("x/./y")]
    [InlineData("bad:key")]
    [InlineData("")]
    public void KeysThatMlflowRejectsAreRefusedBeforeAnythingIsWritten(string key)
    {
        using var tmp = new TempDir();
        var tracker = new FileStoreTracker(tmp.Path);
        var run = tracker.StartRun(tracker.GetOrCreateExperiment("keys"), "r", new Dictionary<string, string>());
        var runDir = Directory.GetDirectories(System.IO.Path.Combine(tmp.Path, "1")).Single();
        var before = Directory.GetFileSystemEntries(tmp.Path, "*", SearchOption.AllDirectories).Length;

        var e = Assert.Throws<ArgumentException>(() => tracker.LogParams(run.RunId, new Dictionary<string, string> { [key] = "v" }));
        Assert.Contains($"'{key}'", e.Message);
        Assert.Throws<ArgumentException>(() => tracker.LogMetrics(run.RunId, [new MetricPoint(key, 1, 0, T0)]));
        Assert.Throws<ArgumentException>(() => tracker.SetTag(run.RunId, key, "v"));
        Assert.Equal(before, Directory.GetFileSystemEntries(tmp.Path, "*", SearchOption.AllDirectories).Length);
        Assert.True(Directory.Exists(runDir));
    }

    [Fact]
    public void ParamsCannotChangeOnceLogged()
    {
        using var tmp = new TempDir();
        var tracker = new FileStoreTracker(tmp.Path);
        var run = tracker.StartRun(tracker.GetOrCreateExperiment("params"), "r", new Dictionary<string, string>());
        tracker.LogParams(run.RunId, new Dictionary<string, string> { ["lr"] = "0.1" });
        var e = Assert.Throws<InvalidOperationException>(() =>
            tracker.LogParams(run.RunId, new Dictionary<string, string> { ["epochs"] = "3", ["lr"] = "0.2" }));
        Assert.Contains("lr", e.Message);
        Assert.Equal(new Dictionary<string, string> { ["lr"] = "0.1" }, new FileStoreReader(tmp.Path).Run(run.RunId).Params);
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("/abs")]
    [InlineData("a/../../b")]
    public void ArtifactFoldersOutsideTheRunAreRefused(string artifactDir)
    {
        using var tmp = new TempDir();
        var tracker = new FileStoreTracker(System.IO.Path.Combine(tmp.Path, "store"));
        var run = tracker.StartRun(tracker.GetOrCreateExperiment("artifacts"), "r", new Dictionary<string, string>());
        var file = System.IO.Path.Combine(tmp.Path, "x.json");
        File.WriteAllText(file, "{}");
        var e = Assert.Throws<ArgumentException>(() => tracker.LogArtifact(run.RunId, file, artifactDir));
        Assert.Contains(artifactDir, e.Message);
        Assert.Single(Directory.GetFiles(tmp.Path, "x.json", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("123")]
    [InlineData("yes")]
    [InlineData("null")]
    [InlineData("a: b")]
    [InlineData("it's #1")]
    [InlineData("2024-01-31")]
    [InlineData("- dash")]
    [InlineData("1.5e+3")]
    public void NamesYamlWouldMisreadAreQuotedAndReadBackUnchanged(string name)
    {
        using var tmp = new TempDir();
        var tracker = new FileStoreTracker(tmp.Path);
        var id = tracker.GetOrCreateExperiment(name);
        var run = tracker.StartRun(id, name, new Dictionary<string, string>());
        Assert.Contains("name: '", File.ReadAllText(System.IO.Path.Combine(tmp.Path, id, "meta.yaml")));
        Assert.Equal(name, new FileStoreReader(tmp.Path).ExperimentByName(name)?.Name);
        Assert.Equal(name, new FileStoreReader(tmp.Path).Run(run.RunId).RunName);
        Assert.Equal(id, new FileStoreTracker(tmp.Path).GetOrCreateExperiment(name));
    }

    [Fact]
    public void ReaderReadsAStoreWrittenByMlflowItself()
    {
        // Shapes MLflow's Python FileStore writes, including fields this tracker does not (deleted_time) and legacy
        // two-field metric lines without a step.
        using var tmp = new TempDir();
        const string expId = "606783375233873416", runId = "1c6b2d5b909041df93e6e00b960de019";
        var expDir = Directory.CreateDirectory(System.IO.Path.Combine(tmp.Path, expId)).FullName;
        File.WriteAllText(System.IO.Path.Combine(expDir, "meta.yaml"),
            $"artifact_location: file:///mlruns/{expId}\ncreation_time: 1721450907000\nexperiment_id: '{expId}'\n" +
            "last_update_time: 1721450907000\nlifecycle_stage: active\nname: iris\n");
        var runDir = Directory.CreateDirectory(System.IO.Path.Combine(expDir, runId)).FullName;
        File.WriteAllText(System.IO.Path.Combine(runDir, "meta.yaml"),
            $"artifact_uri: file:///mlruns/{expId}/{runId}/artifacts\ndeleted_time: null\nend_time: 1721450907230\n" +
            $"entry_point_name: ''\nexperiment_id: '{expId}'\nlifecycle_stage: active\nrun_id: {runId}\n" +
            $"run_name: wistful-ant-659\nrun_uuid: {runId}\nsource_name: ''\nsource_type: 4\nsource_version: ''\n" +
            "start_time: 1721450907221\nstatus: 4\ntags: []\nuser_id: ashish\n");
        Directory.CreateDirectory(System.IO.Path.Combine(runDir, "metrics"));
        File.WriteAllText(System.IO.Path.Combine(runDir, "metrics", "rmse"), "1721450907225 0.75\n1721450907226 0.5 3\n");
        Directory.CreateDirectory(System.IO.Path.Combine(runDir, "params"));
        File.WriteAllText(System.IO.Path.Combine(runDir, "params", "alpha"), "0.5");
        Directory.CreateDirectory(System.IO.Path.Combine(expDir, "tags")); // experiment tags folder is not a run

        var reader = new FileStoreReader(tmp.Path);
        Assert.Equal("iris", Assert.Single(reader.Experiments()).Name);
        var run = Assert.Single(reader.Runs(expId));
        Assert.Equal(RunStatus.Failed, run.Status);
        Assert.Equal("wistful-ant-659", run.RunName);
        Assert.Equal(1721450907230, run.EndTimeMs);
        Assert.Equal("0.5", run.Params["alpha"]);
        Assert.Equal([new MetricPoint("rmse", 0.75, 0, 1721450907225), new MetricPoint("rmse", 0.5, 3, 1721450907226)],
            run.Metrics["rmse"]);
        Assert.Equal("/mlruns/" + expId + "/" + runId + "/artifacts", run.ArtifactDirectory);

        // And the tracker keeps using such a store: new experiments get ids that do not collide.
        var tracker = new FileStoreTracker(tmp.Path);
        Assert.Equal(expId, tracker.GetOrCreateExperiment("iris"));
        Assert.NotEqual(expId, tracker.GetOrCreateExperiment("augment"));
    }

    [Fact]
    public void MalformedMetricLinesAreReportedWithFileAndLine()
    {
        using var tmp = new TempDir();
        var tracker = new FileStoreTracker(tmp.Path);
        var run = tracker.StartRun(tracker.GetOrCreateExperiment("bad"), "r", new Dictionary<string, string>());
        tracker.LogMetrics(run.RunId, [new MetricPoint("acc", 0.5, 0, T0)]);
        var metricFile = Directory.GetFiles(tmp.Path, "acc", SearchOption.AllDirectories).Single();
        File.AppendAllText(metricFile, "garbage line here\n", Encoding.UTF8);
        var e = Assert.Throws<InvalidDataException>(() => new FileStoreReader(tmp.Path).Run(run.RunId));
        Assert.Contains(metricFile + ":2", e.Message);
    }
}
