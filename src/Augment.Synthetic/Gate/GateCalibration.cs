using Augment.Data;
namespace Augment.Synthetic.Gate;

/// <summary>
/// Gate thresholds read off real clips instead of fixed numbers: for each calibrated score, the band between the
/// CalibrationLow-th and CalibrationHigh-th percentiles of the real training clips' own scores, widened on both sides by
/// CalibrationSlack × the band's width. Bands are taken in log(1+score), because sharpness and motion vary by factors,
/// not by amounts; a width below <see cref="MinLogWidth"/> is raised to it, so a dataset of near-identical clips does
/// not reject every clip that differs at all. Border and memorisation checks keep their absolute thresholds.
/// </summary>
public static class GateCalibration
{
    public const double MinLogWidth = 0.1;

    public static GateOptions Calibrate(GateOptions options, IReadOnlyList<IReadOnlyDictionary<string, double>> realScores)
    {
        if (realScores.Count == 0) throw new InvalidOperationException("gate calibration needs real training clips, and there are none");
        (double Low, double High) Band(string score)
        {
            var logs = realScores.Select(s => Math.Log(1 + Math.Max(0, s[score]))).Order().ToArray();
            double lo = Stats.Percentile(logs, options.CalibrationLow / 100), hi = Stats.Percentile(logs, options.CalibrationHigh / 100);
            double slack = options.CalibrationSlack * Math.Max(hi - lo, MinLogWidth);
            return (Math.Max(0, Math.Exp(lo - slack) - 1), Math.Exp(hi + slack) - 1);
        }
        var sharp = Band(QualityGate.Sharpness);
        var luma = Band(QualityGate.Luma);
        var motion = Band(QualityGate.Motion);
        return options with
        {
            MinSharpness = sharp.Low, MaxSharpness = sharp.High,
            MinLuma = luma.Low, MaxLuma = luma.High,
            MinMotion = motion.Low, MaxMotion = motion.High,
            MaxFlicker = Band(QualityGate.Flicker).High,
            MaxBlockiness = Band(QualityGate.Blockiness).High,
        };
    }

}
