using Augment.Classifier;
using System.Globalization;
using System.Text;
using Augment.Data;
using Augment.Evaluation;
using Augment.Experiments.Sweep;
using Augment.Report;

namespace Augment.Tests.Experiments;

/// <summary>Gain captured = ΔF1(generator) / ΔF1(upper bound), on constructed predictions whose F1s are known by hand.</summary>
public class GainCapturedTests
{
    // 10 videos of class 0 (common), 10 of class 1 (scarce).
    static readonly int[] Labels = [.. Enumerable.Repeat(0, 10), .. Enumerable.Repeat(1, 10)];

    // `missed` of the scarce videos predicted as class 0; everything else right.
    static int[] Missing(int missed) => [.. Labels.Select((l, i) => l == 1 && i - 10 < missed ? 0 : l)];

    [Fact]
    public void RatioOfTheTwoPairedDeltasMatchesAHandComputation()
    {
        // Baseline misses 6 scarce videos, the upper bound 2, the candidate 4 (every seed alike).
        // Scarce F1: tp/(tp + (fp+fn)/2): baseline 4/(4+3) = 4/7, upper 8/9, candidate 6/(6+2) = 3/4.
        // Common F1: baseline 10/(10+3) = 10/13, upper 10/11, candidate 10/12.
        var runs = Enumerable.Range(0, 3).Select(_ => new PredictionTriple(Missing(6), Missing(4), Missing(2))).ToList();
        var result = PairedBootstrap.GainCaptured(Labels, runs, 2, [1], 400, seed: 5);
        double macro(double a, double b) => (a + b) / 2;
        double expected = (macro(3.0 / 4, 10.0 / 12) - macro(4.0 / 7, 10.0 / 13)) / (macro(8.0 / 9, 10.0 / 11) - macro(4.0 / 7, 10.0 / 13));
        Assert.Equal(expected, result.MacroF1.Estimate, 12);
        Assert.Equal((3.0 / 4 - 4.0 / 7) / (8.0 / 9 - 4.0 / 7), result.ClassF1[1].Estimate, 12);
        Assert.True(result.MacroF1.Low <= expected && expected <= result.MacroF1.High);
        // A resample drawing only videos that baseline and upper bound score alike has no ratio and is left out.
        Assert.InRange(result.MacroF1.Resamples, 390, 400);
    }

    [Fact]
    public void TheCandidateMatchingTheUpperBoundCapturesAllOfItAndTheBaselineNone()
    {
        var all = Enumerable.Range(0, 2).Select(_ => new PredictionTriple(Missing(6), Missing(1), Missing(1))).ToList();
        var full = PairedBootstrap.GainCaptured(Labels, all, 2, [1], 300, seed: 1);
        Assert.Equal((1.0, 1.0, 1.0), (full.MacroF1.Estimate, full.MacroF1.Low, full.MacroF1.High));
        var none = PairedBootstrap.GainCaptured(Labels, [new PredictionTriple(Missing(6), Missing(6), Missing(1))], 2, [1], 300, seed: 1);
        Assert.Equal((0.0, 0.0, 0.0), (none.ClassF1[1].Estimate, none.ClassF1[1].Low, none.ClassF1[1].High));
    }

    [Fact]
    public void AnUpperBoundWithoutGainLeavesTheRatioUndefined()
    {
        var result = PairedBootstrap.GainCaptured(Labels, [new PredictionTriple(Missing(3), Missing(2), Missing(3))], 2, [1], 200, seed: 2);
        Assert.True(double.IsNaN(result.MacroF1.Estimate));
        Assert.Equal(0, result.MacroF1.Resamples);
    }

    // ---- the report on constructed cells

    static void Cell(string runDir, string generator, double ratio, long seed, int[] predicted)
    {
        var dir = Path.Combine(runDir, "cells", "demo", generator, $"r{SweepPlanner.RatioText(ratio)}", $"s{seed}");
        Directory.CreateDirectory(dir);
        string[] names = ["common", "scarce"];
        var csv = new StringBuilder("video,start_frame,path,label,predicted,score_common,score_scarce\n");
        for (int v = 0; v < Labels.Length; v++)
            csv.Append(CultureInfo.InvariantCulture, $"vid{v},0,/data/vid{v}.mp4,{names[Labels[v]]},{names[predicted[v]]},{1 - predicted[v]},{predicted[v]}\n");
        File.WriteAllText(Path.Combine(dir, PredictionsCsv.FileName), csv.ToString());
        AtomicFile.WriteJson(Path.Combine(dir, CellResult.FileName), new CellResult
        {
            Key = $"demo/{generator}/r{ratio}/s{seed}", Dataset = "demo", Generator = generator, Ratio = ratio, Seed = seed,
            Status = CellStatus.Finished, Classes = names, TargetClasses = ["scarce"], MacroF1 = 0.5, ValMacroF1 = 0.5,
            PerClassF1 = new Dictionary<string, double> { ["common"] = 0.5, ["scarce"] = 0.5 }, TestVideos = Labels.Length, TestWindows = Labels.Length,
        });
    }

    static ReportModel Report(int boundMissed, IReadOnlyDictionary<string, int>? keptOut = null)
    {
        var runDir = TinySweep.TempDir("gain");
        try
        {
            AtomicFile.WriteJson(Path.Combine(runDir, SweepSummary.FileName), new SweepSummary
            {
                Experiment = "t", Profile = "tiny", SweepKey = "k", ConfigPath = "experiments.yaml",
                Datasets = [new DatasetSummary("demo", ["scarce"]) { KeptOut = keptOut ?? new Dictionary<string, int> { ["scarce"] = 20 } }],
                Generators = [new GeneratorSummary("real-holdout", "Upper bound", SweepReport.HoldoutBackend, "upper bound"),
                              new GeneratorSummary("medgen", "MedGen", "native", "native stand-in + LoRA (0.20M params)")],
                RealOnlyLabel = "Real only", Ratios = [0, 1], Seeds = [0, 1], ReportRatio = 1,
            });
            foreach (var seed in new long[] { 0, 1 })
            {
                Cell(runDir, "real", 0, seed, Missing(6));
                Cell(runDir, "real-holdout", 1, seed, Missing(boundMissed));
                Cell(runDir, "medgen", 1, seed, Missing(4));
            }
            return SweepReport.Build(runDir);
        }
        finally
        {
            Directory.Delete(runDir, recursive: true);
        }
    }

    [Fact]
    public void TheReportShowsGainCapturedAgainstASignificantUpperBound()
    {
        var ds = Report(boundMissed: 0).Datasets[0];
        var medgen = ds.Rows.Single(r => r.Generator == "medgen");
        // Scarce F1: baseline 4/7, upper bound 1, MedGen 3/4.
        Assert.Equal((3.0 / 4 - 4.0 / 7) / (1 - 4.0 / 7), medgen.TargetClassGain["scarce"].Estimate, 12);
        Assert.Equal(medgen.DeltaF1!.Estimate / ds.Rows.Single(r => r.Generator == "real-holdout").DeltaF1!.Estimate, medgen.GainCaptured!.Estimate, 12);
        Assert.Null(ds.Rows.Single(r => r.Generator == "real-holdout").GainCaptured);
        Assert.Contains("this setup can show a gain", ds.UpperBound);
    }

    [Fact]
    public void AnUpperBoundWithoutSignificantGainIsSaidPlainlyAndGivesNoRatio()
    {
        // The upper bound does exactly what real only does: a zero interval.
        var ds = Report(boundMissed: 6).Datasets[0];
        Assert.Contains("this setup cannot show a gain", ds.UpperBound);
        Assert.Null(ds.Rows.Single(r => r.Generator == "medgen").GainCaptured);
    }

    [Fact]
    public void WithoutKeepTheReportSaysThereIsNoUpperBound()
    {
        var ds = Report(boundMissed: 0, keptOut: new Dictionary<string, int>()).Datasets[0];
        Assert.StartsWith("No upper bound: `keep` holds no real training clips out of demo", ds.UpperBound);
    }
}
