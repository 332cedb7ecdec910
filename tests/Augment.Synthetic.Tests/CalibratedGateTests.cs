using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Generator;
using Augment.Synthetic.Gate;

namespace Augment.Tests.Generator;

/// <summary>Real demo clips, rendered once for the calibrated-gate tests: training clips calibrate, validation clips are judged.</summary>
public sealed class RenderedDemoClips : IDisposable
{
    readonly string dir = Directory.CreateTempSubdirectory("augment-gate-").FullName;
    public static readonly ClipSpec Spec = new(8, 32, 32);
    public List<Clip> Train { get; }
    public List<Clip> Val { get; }

    public RenderedDemoClips()
    {
        var spec = DemoDataset.Render(dir, seed: 11, new DemoOptions { Classes = 5, Frames = 8, Size = 32, TrainPerClass = 12,
            ScarceClasses = 0, ValPerClass = 4, TestPerClass = 1 });
        var data = DatasetLoader.Load(spec);
        Train = data.Split(Splits.Train).Select(c => VideoIO.Read(c.Path, Spec)).ToList();
        Val = data.Split(Splits.Val).Select(c => VideoIO.Read(c.Path, Spec)).ToList();
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);
}

public class CalibratedGateTests(RenderedDemoClips demo) : IClassFixture<RenderedDemoClips>
{
    QualityGate Calibrated() => new(new GateOptions { Calibrate = true }, demo.Train);

    static string Describe(GateVerdict v) => string.Join(", ", v.Scores.Select(kv => $"{kv.Key}={kv.Value:F2}")) + $" | {v.Reason}";

    [Fact]
    public void CalibratedGateAcceptsHeldOutRealDemoClips()
    {
        var gate = Calibrated();
        Assert.All(demo.Val, clip => { var v = gate.Evaluate(clip); Assert.True(v.Accepted, Describe(v)); });
        // Calibration really moved the thresholds, and added the upper bounds.
        Assert.NotEqual(new GateOptions().MinSharpness, gate.Thresholds.MinSharpness);
        Assert.NotNull(gate.Thresholds.MaxSharpness);
        Assert.NotNull(gate.Thresholds.MaxBlockiness);
    }

    [Fact]
    public void CalibratedGateRejectsNoise()
    {
        var rng = new Random(3);
        var px = new byte[demo.Val[0].Pixels.Length];
        rng.NextBytes(px);
        var v = Calibrated().Evaluate(new Clip(px, 8, 32, 32));
        Assert.False(v.Accepted, Describe(v));
        Assert.Contains("noisy", v.Reason);
    }

    [Fact]
    public void CalibratedGateRejectsA4x4PatchGridTheFixedGateLetsThrough()
    {
        // A real clip re-drawn as 4×4-pixel patches of its own mean colours: the tiny native generator's failure mode.
        var real = demo.Val[0];
        var px = new byte[real.Pixels.Length];
        for (int t = 0; t < 8; t++)
            for (int by = 0; by < 32; by += 4)
                for (int bx = 0; bx < 32; bx += 4)
                    for (int c = 0; c < 3; c++)
                    {
                        int Index(int y, int x) => ((t * 32 + y) * 32 + x) * 3 + c;
                        double mean = 0;
                        for (int y = by; y < by + 4; y++) for (int x = bx; x < bx + 4; x++) mean += real.Pixels[Index(y, x)] / 16.0;
                        for (int y = by; y < by + 4; y++) for (int x = bx; x < bx + 4; x++) px[Index(y, x)] = (byte)Math.Round(mean);
                    }
        var grid = new Clip(px, 8, 32, 32);
        var fixedVerdict = new QualityGate(new GateOptions(), demo.Train).Evaluate(grid);
        Assert.True(fixedVerdict.Accepted, Describe(fixedVerdict));
        var v = Calibrated().Evaluate(grid);
        Assert.False(v.Accepted, Describe(v));
        Assert.Contains("patch mosaic", v.Reason);
    }

    [Fact]
    public void CalibrationTakesPercentileBandsWidenedInLogSpace()
    {
        var scores = Enumerable.Range(0, 101).Select(i => (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            [QualityGate.Sharpness] = Math.Exp(4 + i / 100.0) - 1, [QualityGate.Luma] = 100, [QualityGate.Motion] = 5,
            [QualityGate.Flicker] = 2, [QualityGate.Blockiness] = 1.1,
        }).ToList();
        var o = GateCalibration.Calibrate(new GateOptions { Calibrate = true, CalibrationLow = 10, CalibrationHigh = 90, CalibrationSlack = 0.5 }, scores);
        // log(1+s) runs 4.0..5.0: the 10th-90th band is 4.1..4.9, widened by half its width (0.4) on each side.
        Assert.Equal(Math.Exp(3.7) - 1, o.MinSharpness, 6);
        Assert.Equal(Math.Exp(5.3) - 1, o.MaxSharpness!.Value, 6);
        // A score every real clip shares gets the minimum band width, not a zero-width band.
        Assert.Equal(Math.Exp(Math.Log(101) - 0.5 * GateCalibration.MinLogWidth) - 1, o.MinLuma, 6);
        Assert.Equal(Math.Exp(Math.Log(101) + 0.5 * GateCalibration.MinLogWidth) - 1, o.MaxLuma, 6);
        Assert.Equal(Augment.Data.Stats.Percentile([1, 2, 3, 4, 5], 0.50), 3);
        Assert.Equal(Augment.Data.Stats.Percentile([0, 10], 0.25), 2.5);
    }
}
