using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Synthetic;
using Augment.Synthetic.Gate;

namespace Augment.Tests.Experiments;

/// <summary>The upper bound: the real training clips `keep` held out, mixed like generated clips.</summary>
public class HoldoutTests
{
    const string Generators = """
          real: {backend: none}
          real-holdout: {backend: holdout, label: Upper bound}
        """;

    [Fact]
    public void HeldOutClipsAreNestedAcrossRatiosAndNeverValidationOrTestClips()
    {
        var dir = TinySweep.TempDir("holdout");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, Generators, ratios: "[0, 0.5, 1, 2]", seeds: "[0]");
        var ds = SweepDataset.Load(config.Datasets[0], config.SourcePath);
        var scarce = Assert.Single(ds.TargetClasses);

        // The tiny demo renders 6 training clips of the scarce class and keeps 2: the other 4 are the upper bound's.
        var heldOut = ds.HeldOut();
        Assert.Equal(4, heldOut.Count);
        Assert.All(heldOut, c => Assert.Equal((Splits.Train, scarce), (c.Split, c.Label)));
        Assert.Empty(heldOut.Intersect(ds.Data.Split(Splits.Train)));
        var evaluation = ds.ReferenceData.Clips.Where(c => c.Split != Splits.Train).ToList();
        Assert.NotEmpty(evaluation);
        Assert.Empty(heldOut.Select(c => c.VideoId).Intersect(evaluation.Select(c => c.VideoId)));

        var cache = new ClipCache(Path.Combine(dir, "cache"));
        var generator = new HoldoutGenerator("real-holdout", heldOut, cache);
        var outDir = Path.Combine(dir, "generation");
        // Asking for more than was held out gives all of it.
        var made = generator.Generate(new GenerationRequest(ds.Data, config.Clip, new Dictionary<string, int> { [scarce] = 10 }, 0, outDir));
        Assert.Equal(4, made.Made[scarce]);
        var gated = GateRun.Execute(made.ClipsPath, ds.Data, config.Clip, cache, new GateOptions { MinSharpness = 0, MinMotion = 0 },
            Path.Combine(outDir, "gated"));
        // Every clip the mixer can take is one of the held-out videos, none a validation or test video.
        var sources = SyntheticManifest.Read(gated.ManifestPath).Select(e => e.Prompt.Split(' ')[^1]).ToList();
        Assert.Equal(heldOut.Select(c => c.VideoId).Order(), sources.Order());

        // Nested: r = 0.5 ⊂ r = 1 ⊂ r = 2 (2 kept clips: 1, 2 and 4 held-out clips).
        List<string> Mixed(double r) => SyntheticMixer.Mix(ds.Data, new MixOptions(gated.ManifestPath, r, ds.TargetClasses)).Train
            .Where(c => c.Source != "real").Select(c => c.Path).ToList();
        var (half, one, two) = (Mixed(0.5), Mixed(1), Mixed(2));
        Assert.Equal((1, 2, 4), (half.Count, one.Count, two.Count));
        Assert.Equal(half, one.Take(1));
        Assert.Equal(one, two.Take(2));
        // Validation and test are what they were without the upper bound.
        var mixed = SyntheticMixer.Mix(ds.Data, new MixOptions(gated.ManifestPath, 2, ds.TargetClasses)).Train;
        Assert.All(mixed, c => Assert.Equal(Splits.Train, c.Split));

        // Another seed draws the held-out clips in another order; the same seed in the same one.
        var again = new HoldoutGenerator("real-holdout", [.. heldOut.AsEnumerable().Reverse()], cache)
            .Generate(new GenerationRequest(ds.Data, config.Clip, new Dictionary<string, int> { [scarce] = 4 }, 0, Path.Combine(dir, "again")));
        Assert.Equal(File.ReadAllLines(made.ClipsPath).Select(Prompt), File.ReadAllLines(again.ClipsPath).Select(Prompt));
    }

    static string Prompt(string jsonLine) => System.Text.Json.JsonDocument.Parse(jsonLine).RootElement.GetProperty("prompt").GetString()!;

    [Fact]
    public void AValidationOrTestClipIsRefused()
    {
        var clip = new ClipRef("/data/v.mp4", "a", Splits.Test, "v");
        var e = Assert.Throws<ArgumentException>(() => new HoldoutGenerator("real-holdout", [clip], new ClipCache(Path.GetTempPath())));
        Assert.Contains("test split", e.Message);
    }

    [Fact]
    public void ADatasetWithoutKeepHasNoUpperBoundCells()
    {
        var dir = TinySweep.TempDir("holdout-plan");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, Generators, ratios: "[0, 1]", seeds: "[0]");
        Assert.Contains(SweepPlanner.Plan(config).Cells, c => c.Generator == "real-holdout");
        var noKeep = config with { Datasets = [config.Datasets[0] with { Demo = config.Datasets[0].Demo! with { ScarceClasses = 0 } }] };
        var plan = SweepPlanner.Plan(noKeep);
        Assert.DoesNotContain(plan.Cells, c => c.Generator == "real-holdout");
        Assert.Empty(plan.Generations);
    }
}

/// <summary>The upper bound through a whole tiny sweep: generated, gated, mixed, trained and reported like any generator.</summary>
public class HoldoutSweepTests
{
    [Fact]
    public void TheUpperBoundRunsAsARowOfTheSweep()
    {
        var dir = TinySweep.TempDir("holdout-sweep");
        using var cleanup = new DeleteOnDispose(dir);
        var config = TinySweep.Config(dir, """
              real: {backend: none}
              real-holdout: {backend: holdout, label: Upper bound}
            """, ratios: "[0, 1]", seeds: "[0]");
        var outcome = TinySweep.Runner(SweepPlanner.Plan(config), TinySweep.Tracker(config)).Run();
        Assert.True(outcome.Complete, string.Join("; ", outcome.Failures.Select(f => f.Error)));
        var cell = CellResult.TryRead(Path.Combine(config.OutputDir, "cells", "demo", "real-holdout", "r1", "s0"))!;
        Assert.Equal(2, cell.SyntheticUsed.Values.Sum());
        var report = File.ReadAllText(Path.Combine(config.OutputDir, "report", "report.md"));
        Assert.Contains("The upper bound (Upper bound: the real clips `keep` held out", report);
        Assert.Contains("Gain captured [95% CI]", report);
        // Its clips are real training clips the reference classifier learnt from: no quality measurement, no warning about it.
        Assert.DoesNotContain("quality was not measured", report);
    }
}
