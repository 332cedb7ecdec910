namespace Augment.Synthetic.Gate;

/// <summary>Quality-gate thresholds, tuned for small (32–64 px) clips; scores are on 0–255 pixel scales unless noted.</summary>
public sealed record GateOptions
{
    /// <summary>A clip is bordered when at least this fraction of frames shows a dark straight edge band.</summary>
    public double BorderFrameFraction { get; init; } = 0.75;
    /// <summary>A band between an edge line and the frame edge counts as black when its mean luma is below this.</summary>
    public double BorderMaxLuma { get; init; } = 24;
    /// <summary>Widest band (fraction of the side) still called a border.</summary>
    public double BorderMaxWidth { get; init; } = 0.25;
    /// <summary>Mean variance of the Laplacian below this is blurred.</summary>
    public double MinSharpness { get; init; } = 12;
    public double MinLuma { get; init; } = 20;
    public double MaxLuma { get; init; } = 235;
    /// <summary>Mean absolute adjacent-frame difference below this is a frozen clip.</summary>
    public double MinMotion { get; init; } = 0.5;
    /// <summary>A jump of the mean luma between adjacent frames above this is flicker.</summary>
    public double MaxFlicker { get; init; } = 30;
    /// <summary>A clip whose frames are within this many pHash bits (of 64, mean over frames) of a real training clip is a near-copy.</summary>
    public double MemorisationMaxBits { get; init; } = 3;
    /// <summary>Upper bounds (null: none). Noise is far sharper and livelier than real video; a patch mosaic is blocky.</summary>
    public double? MaxSharpness { get; init; }
    public double? MaxMotion { get; init; }
    public double? MaxBlockiness { get; init; }
    /// <summary>
    /// Replace the sharpness, luma, motion, flicker and blockiness thresholds by bands taken from the real training clips'
    /// own scores (<see cref="GateCalibration"/>): percentiles CalibrationLow..CalibrationHigh, widened by
    /// CalibrationSlack × their spread in log(1+score).
    /// </summary>
    public bool Calibrate { get; init; }
    public double CalibrationLow { get; init; } = 1;
    public double CalibrationHigh { get; init; } = 99;
    public double CalibrationSlack { get; init; } = 0.5;
}
