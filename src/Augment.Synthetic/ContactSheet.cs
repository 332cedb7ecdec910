using Augment.Data;
using Augment.Synthetic.Gate;
using OpenCvSharp;

namespace Augment.Synthetic;

/// <summary>One PNG per class: a row per clip, a column per (evenly spaced) frame; rejected clips are outlined in red.</summary>
public static class ContactSheet
{
    public static void Write(string path, string title, IReadOnlyList<(Clip Clip, bool Accepted)> clips, int maxFrames = 8)
    {
        if (clips.Count == 0) return;
        int frames = Math.Min(maxFrames, clips[0].Clip.Frames);
        int cell = Math.Max(64, clips[0].Clip.Height), cellW = cell * clips[0].Clip.Width / clips[0].Clip.Height;
        const int header = 22, pad = 2;
        using var sheet = new Mat(header + clips.Count * (cell + pad), frames * (cellW + pad), MatType.CV_8UC3, Scalar.All(255));
        Cv2.PutText(sheet, title, new Point(4, 16), HersheyFonts.HersheySimplex, 0.45, Scalar.All(0), 1, LineTypes.AntiAlias);
        for (int r = 0; r < clips.Count; r++)
            for (int c = 0; c < frames; c++)
            {
                var (clip, accepted) = clips[r];
                using var rgb = ClipFrames.Rgb(clip, c * clip.Frames / frames);
                using var bgr = new Mat();
                Cv2.CvtColor(rgb, bgr, ColorConversionCodes.RGB2BGR);
                using var big = new Mat();
                Cv2.Resize(bgr, big, new Size(cellW, cell), interpolation: InterpolationFlags.Nearest);
                var rect = new Rect(c * (cellW + pad), header + r * (cell + pad), cellW, cell);
                using (var target = new Mat(sheet, rect)) big.CopyTo(target);
                if (!accepted) Cv2.Rectangle(sheet, rect, new Scalar(0, 0, 255), 2);
            }
        AtomicFile.Write(path, tmp => Cv2.ImWrite(tmp, sheet));
    }
}
