using Augment.Data;
using OpenCvSharp;

namespace Augment.Synthetic.Gate;

/// <summary>The gate's scores for one clip and whether it may be mixed; Reason lists every failed check.</summary>
public sealed record GateVerdict(IReadOnlyDictionary<string, double> Scores, bool Accepted, string? Reason);

/// <summary>
/// Judges every synthetic clip before it can be mixed: persistent black borders (Canny + Hough lines along the frame
/// edges), blur and noise (variance of the Laplacian), exposure (mean luma), temporal consistency (frozen or jittering:
/// adjacent-frame change; flicker: jumps of mean luma), patch mosaics (blockiness) and memorisation (pHash distance to
/// the real training clips). With <see cref="GateOptions.Calibrate"/> the thresholds come from the training clips' own
/// scores (<see cref="GateCalibration"/>).
/// </summary>
public sealed class QualityGate
{
    public const string Sharpness = "sharpness", Luma = "luma", Motion = "motion", Flicker = "flicker", Blockiness = "blockiness";

    readonly List<ulong[]> trainingHashes = [];

    /// <summary>The thresholds in force: the options given, or their calibrated version.</summary>
    public GateOptions Thresholds { get; }

    public QualityGate(GateOptions options, IEnumerable<Clip> trainingClips)
    {
        var realScores = new List<IReadOnlyDictionary<string, double>>();
        foreach (var clip in trainingClips)
        {
            var gray = ClipFrames.Gray(clip);
            try
            {
                trainingHashes.Add(Hashes(gray));
                if (options.Calibrate) realScores.Add(ContentScores(gray));
            }
            finally { foreach (var g in gray) g.Dispose(); }
        }
        Thresholds = options.Calibrate ? GateCalibration.Calibrate(options, realScores) : options;
    }

    public GateVerdict Evaluate(Clip clip)
    {
        var gray = ClipFrames.Gray(clip);
        try
        {
            var scores = ContentScores(gray);
            scores["border_fraction"] = gray.Count(HasBlackBorder) / (double)gray.Count;
            scores["memorisation_bits"] = trainingHashes.Count == 0 ? 64 : trainingHashes.Min(h => PerceptualHash.Distance(Hashes(gray), h));
            var o = Thresholds;
            var reasons = new List<string>();
            if (scores["border_fraction"] >= o.BorderFrameFraction) reasons.Add($"black border in {scores["border_fraction"]:P0} of frames");
            if (scores[Sharpness] < o.MinSharpness) reasons.Add($"blurred (Laplacian variance {scores[Sharpness]:F1} < {o.MinSharpness:0.#})");
            if (scores[Sharpness] > o.MaxSharpness) reasons.Add($"noisy (Laplacian variance {scores[Sharpness]:F0} > {o.MaxSharpness:0.#})");
            if (scores[Luma] < o.MinLuma) reasons.Add($"too dark (mean luma {scores[Luma]:F0} < {o.MinLuma:0.#})");
            if (scores[Luma] > o.MaxLuma) reasons.Add($"too bright (mean luma {scores[Luma]:F0} > {o.MaxLuma:0.#})");
            if (scores[Motion] < o.MinMotion) reasons.Add($"frozen (adjacent-frame change {scores[Motion]:F2} < {o.MinMotion:0.##})");
            if (scores[Motion] > o.MaxMotion) reasons.Add($"jittering (adjacent-frame change {scores[Motion]:F1} > {o.MaxMotion:0.#})");
            if (scores[Flicker] > o.MaxFlicker) reasons.Add($"flicker (luma jump {scores[Flicker]:F0} > {o.MaxFlicker:0.#})");
            if (scores[Blockiness] > o.MaxBlockiness) reasons.Add($"patch mosaic (blockiness {scores[Blockiness]:F2} > {o.MaxBlockiness:0.##})");
            if (scores["memorisation_bits"] <= o.MemorisationMaxBits) reasons.Add($"near-copy of a training clip (pHash distance {scores["memorisation_bits"]:F1} bits)");
            return new GateVerdict(scores, reasons.Count == 0, reasons.Count == 0 ? null : string.Join("; ", reasons));
        }
        finally
        {
            foreach (var g in gray) g.Dispose();
        }
    }

    /// <summary>The scores calibration reads off real clips: everything but the border and memorisation checks.</summary>
    static Dictionary<string, double> ContentScores(List<Mat> gray)
    {
        var lumas = gray.Select(g => Cv2.Mean(g).Val0).ToList();
        return new Dictionary<string, double>
        {
            [Sharpness] = gray.Average(LaplacianVariance),
            [Luma] = lumas.Average(),
            [Motion] = gray.Count < 2 ? 0 : Enumerable.Range(1, gray.Count - 1).Average(i => MeanAbsDiff(gray[i - 1], gray[i])),
            [Flicker] = gray.Count < 2 ? 0 : Enumerable.Range(1, lumas.Count - 1).Max(i => Math.Abs(lumas[i] - lumas[i - 1])),
            [Blockiness] = gray.Average(PatchGrid.Blockiness),
        };
    }

    static ulong[] Hashes(List<Mat> gray) => gray.Select(PerceptualHash.Frame).ToArray();

    static double LaplacianVariance(Mat gray)
    {
        using var lap = new Mat();
        Cv2.Laplacian(gray, lap, MatType.CV_64F);
        Cv2.MeanStdDev(lap, out _, out var std);
        return std.Val0 * std.Val0;
    }

    static double MeanAbsDiff(Mat a, Mat b)
    {
        using var diff = new Mat();
        Cv2.Absdiff(a, b, diff);
        return Cv2.Mean(diff).Val0;
    }

    /// <summary>A long straight edge parallel to a frame side, within the border band, with only black between it and the side.</summary>
    bool HasBlackBorder(Mat gray)
    {
        int h = gray.Rows, w = gray.Cols;
        // Smoothing first keeps texture from breaking the long border edge into short pieces.
        using var smooth = new Mat();
        Cv2.GaussianBlur(gray, smooth, new Size(3, 3), 0);
        using var edges = new Mat();
        Cv2.Canny(smooth, edges, 30, 90);
        int maxBandH = (int)Math.Ceiling(Thresholds.BorderMaxWidth * h), maxBandW = (int)Math.Ceiling(Thresholds.BorderMaxWidth * w);
        // Only edges near the frame sides can be border lines; clearing the centre keeps content edges out of the vote.
        if (w > 2 * maxBandW + 2 && h > 2 * maxBandH + 2)
            using (var centre = new Mat(edges, new Rect(maxBandW + 1, maxBandH + 1, w - 2 * maxBandW - 2, h - 2 * maxBandH - 2)))
                centre.SetTo(Scalar.All(0));
        // Most of a side: a round scope view's near-tangent arc is shorter than this, a straight border band is not.
        int minLength = (int)(0.7 * Math.Min(h, w));
        var lines = Cv2.HoughLinesP(edges, 1, Math.PI / 180, threshold: Math.Max(8, minLength / 2), minLineLength: minLength, maxLineGap: 4);
        foreach (var line in lines)
        {
            if (Math.Abs(line.P1.Y - line.P2.Y) <= 2)
            {
                int y = (line.P1.Y + line.P2.Y) / 2;
                if (y >= 1 && y <= maxBandH && Dark(gray, new Rect(0, 0, w, y))) return true;
                if (y < h - 1 && y >= h - 1 - maxBandH && Dark(gray, new Rect(0, y + 1, w, h - y - 1))) return true;
            }
            else if (Math.Abs(line.P1.X - line.P2.X) <= 2)
            {
                int x = (line.P1.X + line.P2.X) / 2;
                if (x >= 1 && x <= maxBandW && Dark(gray, new Rect(0, 0, x, h))) return true;
                if (x < w - 1 && x >= w - 1 - maxBandW && Dark(gray, new Rect(x + 1, 0, w - x - 1, h))) return true;
            }
        }
        return false;
    }

    bool Dark(Mat gray, Rect band)
    {
        using var roi = new Mat(gray, band);
        return Cv2.Mean(roi).Val0 < Thresholds.BorderMaxLuma;
    }
}
