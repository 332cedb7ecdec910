using System.Globalization;
using System.Text;
using Augment.Data;
using Augment.Report;
using Augment.Classifier;
using Augment.Experiments.Sweep;

namespace Augment.Tests.Experiments;

/// <summary>clips_per_video 3: the report scores videos from every window, not the last window of each video.</summary>
public class PerVideoReportTests
{
    static readonly string[] Classes = ["a", "b"];

    // Four test videos (two per class), three windows each. A window's P(a) comes from `pa(video, window)`.
    static void Cell(string runDir, string generator, long seed, Func<int, int, double> pa)
    {
        var dir = Path.Combine(runDir, "cells", "demo", generator, generator == "real" ? "r0" : "r1", $"s{seed}");
        Directory.CreateDirectory(dir);
        var csv = new StringBuilder("video,start_frame,path,label,predicted,score_a,score_b\n");
        for (int v = 0; v < 4; v++)
            for (int w = 0; w < 3; w++)
            {
                double p = pa(v, w);
                csv.Append(CultureInfo.InvariantCulture, $"vid{v},{w * 10},/data/vid{v}.mp4,{Classes[v / 2]},{(p >= 0.5 ? "a" : "b")},{p},{1 - p}\n");
            }
        File.WriteAllText(Path.Combine(dir, PredictionsCsv.FileName), csv.ToString());
        AtomicFile.WriteJson(Path.Combine(dir, CellResult.FileName), new CellResult
        {
            Key = $"demo/{generator}/s{seed}", Dataset = "demo", Generator = generator, Ratio = generator == "real" ? 0 : 1, Seed = seed,
            Status = CellStatus.Finished, Classes = Classes, TargetClasses = ["a"], MacroF1 = 0.5, ValMacroF1 = 0.5,
            PerClassF1 = new Dictionary<string, double> { ["a"] = 0.5, ["b"] = 0.5 }, TestVideos = 4, TestWindows = 12,
        });
    }

    [Fact]
    public void DeltaF1AndItsIntervalComeFromEveryWindowOfEachVideo()
    {
        var runDir = Path.Combine(Path.GetTempPath(), "augment-tests", $"per-video-{Guid.NewGuid():N}");
        try
        {
            AtomicFile.WriteJson(Path.Combine(runDir, SweepSummary.FileName), new SweepSummary
            {
                Experiment = "t", Profile = "tiny", SweepKey = "k", ConfigPath = "experiments.yaml",
                Datasets = [new DatasetSummary("demo", ["a"])], Generators = [new GeneratorSummary("medgen", "MedGen", "native", "native stand-in + LoRA (0.20M params)")],
                RealOnlyLabel = "Real only", Ratios = [0, 1], Seeds = [0, 1],
            });
            foreach (var seed in new long[] { 0, 1 })
            {
                // Baseline: every window right. Candidate: class-a videos have two confidently wrong windows and a last
                // window that is barely right, so the last window alone says "no change" and the video average says worse.
                Cell(runDir, "real", seed, (v, w) => v < 2 ? 0.9 : 0.1);
                Cell(runDir, "medgen", seed, (v, w) => v < 2 ? (w < 2 ? 0.05 : 0.55) : 0.1);
            }

            var model = SweepReport.Build(runDir);
            var row = model.Datasets[0].Rows.Single(r => r.Generator == "medgen");

            // Per video: class a never predicted (F1 0), class b F1 2·2/(2·2+2) = 2/3; baseline 1 → Δ = 1/3 − 1.
            Assert.Equal(1.0 / 3 - 1, row.DeltaF1!.Estimate, 9);
            Assert.True(row.DeltaF1.High < 0, $"[{row.DeltaF1.Low}, {row.DeltaF1.High}]");
            Assert.Equal(-1, row.TargetClassDelta["a"].Estimate, 9);
            Assert.Equal((4, 12), (row.TestVideos, row.TestWindows));
        }
        finally
        {
            if (Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true);
        }
    }
}
