using System.Globalization;
using Augment.Classifier;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Synthetic;

namespace Augment.Tests.Classifier;

/// <summary>A small rendered demo dataset, a synthetic manifest beside it, and one clip cache, shared by the tests below.</summary>
public sealed class DemoFixture : IDisposable
{
    public DemoFixture()
    {
        Root = TinyClips.TempDir();
        var spec = DemoDataset.Render(Path.Combine(Root, "demo"), seed: 3, new DemoOptions
        {
            Classes = 4, Frames = 8, Size = 32, TrainPerClass = 14, ScarceClasses = 1, ScarceTrainPerClass = 5, ValPerClass = 6, TestPerClass = 8,
        });
        Clip = new ClipSpec(8, 32, 32);
        Dataset = DatasetLoader.Load(spec, Clip);
        Cache = new ClipCache(Path.Combine(Root, "cache"));

        // "Generated" clips: flat grey videos, recognisable by path, written as a generator would.
        var synthDir = Path.Combine(Root, "synthetic");
        var entries = new List<SyntheticClip>();
        var scarce = Dataset.Classes[^1];
        for (int i = 0; i < 6; i++)
        {
            var rel = $"clips/{scarce}-{i}.mp4";
            var pixels = Enumerable.Repeat((byte)(90 + 10 * i), 8 * 32 * 32 * 3).ToArray();
            VideoIO.WriteMp4(Path.Combine(synthDir, rel), new Clip(pixels, 8, 32, 32));
            entries.Add(new SyntheticClip { Path = rel, Label = scarce, Generator = "testgen", Seed = i });
        }
        Manifest = Path.Combine(synthDir, SyntheticManifest.FileName);
        SyntheticManifest.Write(Manifest, entries);
    }

    public string Root { get; }
    public ClipSpec Clip { get; }
    public Dataset Dataset { get; }
    public ClipCache Cache { get; }
    public string Manifest { get; }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}

public class DemoRunTests(DemoFixture demo) : IClassFixture<DemoFixture>
{
    [Fact]
    public void RealRunOnDemoDataBeatsChanceClearly()
    {
        var outDir = TinyClips.TempDir();
        var result = ClassifierTrainer.Train(new TrainRequest(demo.Dataset, demo.Clip, demo.Cache,
            new ClassifierOptions { Device = "cpu", Seed = 1 }, new MixOptions(), outDir));

        double chance = 1.0 / demo.Dataset.Classes.Count;
        Assert.True(result.Test.MacroF1 > chance + 0.15, $"test macro-F1 {result.Test.MacroF1:0.000} vs chance {chance:0.00}");
        foreach (var file in new[] { "metrics.json", "predictions.csv", "mix.json", "history.json", "confusion.png", "curves.png", "best.ckpt", "last.ckpt" })
            Assert.True(new FileInfo(Path.Combine(outDir, file)).Length > 0, $"{file} missing or empty");

        // Evaluating the saved best checkpoint reproduces the run's own test numbers.
        var again = ClassifierEvaluator.Evaluate(Path.Combine(outDir, "best.ckpt"), demo.Dataset, Splits.Test, demo.Clip, demo.Cache, TinyClips.TempDir(), "cpu");
        Assert.Equal(result.Test.Confusion, again.Confusion);
        Assert.Equal(result.Test.MacroF1, again.MacroF1, 12);
    }

    [Fact]
    public void SyntheticClipsTrainButNeverReachValidationOrTest()
    {
        var outDir = TinyClips.TempDir();
        var scarce = demo.Dataset.Classes[^1];
        var result = ClassifierTrainer.Train(new TrainRequest(demo.Dataset, demo.Clip, demo.Cache,
            new ClassifierOptions { Device = "cpu", Seed = 1, Epochs = 2 }, new MixOptions(demo.Manifest, 1.0, [scarce]), outDir));

        int realScarce = demo.Dataset.Split(Splits.Train).Count(c => c.Label == scarce);
        Assert.Equal(realScarce, result.Mix.Synthetic[scarce]);
        Assert.Equal(realScarce, result.Mix.Real[scarce]);
        var mixJson = File.ReadAllText(Path.Combine(outDir, "mix.json"));
        Assert.Contains(scarce, mixJson);

        var rows = File.ReadAllLines(Path.Combine(outDir, "predictions.csv")).Skip(1).ToList();
        var test = demo.Dataset.Split(Splits.Test).ToList();
        var testPaths = test.Select(c => c.Path).Order().ToList();
        Assert.Equal(testPaths, rows.Select(r => r.Split(',')[2]).Order().ToList());
        Assert.Equal(test.Select(c => c.VideoId).Order(), rows.Select(r => r.Split(',')[0]).Order());
        Assert.DoesNotContain(rows, r => r.Split(',')[2].StartsWith(Path.Combine(demo.Root, "synthetic"), StringComparison.Ordinal));
        Assert.Equal(testPaths.Count, result.Test.PerClass.Sum(c => c.Support));
    }

    [Fact]
    public void CorruptSyntheticClipIsQuarantinedAndTheRunGoesOn()
    {
        var scarce = demo.Dataset.Classes[^1];
        var dir = Path.GetDirectoryName(demo.Manifest)!;
        File.WriteAllBytes(Path.Combine(dir, "clips", "broken.mp4"), []);
        var manifest = Path.Combine(dir, "with-broken.jsonl");
        SyntheticManifest.Write(manifest,
        [
            new SyntheticClip { Path = "clips/broken.mp4", Label = scarce, Generator = "testgen" },
            new SyntheticClip { Path = $"clips/{scarce}-0.mp4", Label = scarce, Generator = "testgen" },
        ]);
        var outDir = TinyClips.TempDir();

        var result = ClassifierTrainer.Train(new TrainRequest(demo.Dataset, demo.Clip, demo.Cache,
            new ClassifierOptions { Device = "cpu", Epochs = 1 }, new MixOptions(manifest, 1.0, [scarce]), outDir));

        Assert.Equal(1, result.Mix.Synthetic[scarce]);
        var quarantine = File.ReadAllText(Path.Combine(outDir, "quarantine.json"));
        Assert.Contains("broken.mp4", quarantine);
    }

    [Fact]
    public void MissingManifestIsAClearError()
    {
        var missing = Path.Combine(demo.Root, "no-such-manifest.jsonl");
        var e = Assert.Throws<FileNotFoundException>(() => ClassifierTrainer.Train(new TrainRequest(demo.Dataset, demo.Clip, demo.Cache,
            new ClassifierOptions { Device = "cpu" }, new MixOptions(missing, 1.0), TinyClips.TempDir())));
        Assert.Contains(missing, e.Message);
    }
}
