using Augment.Data;
using OpenCvSharp;

namespace Augment.Synthetic.Gate;

/// <summary>A clip's frames as OpenCV matrices.</summary>
public static class ClipFrames
{
    public static Mat Rgb(Clip clip, int frame)
    {
        int size = clip.Height * clip.Width * 3;
        var bytes = new byte[size];
        Array.Copy(clip.Pixels, frame * size, bytes, 0, size);
        return Mat.FromPixelData(clip.Height, clip.Width, MatType.CV_8UC3, bytes).Clone();
    }

    public static List<Mat> Gray(Clip clip) => Enumerable.Range(0, clip.Frames).Select(i =>
    {
        using var rgb = Rgb(clip, i);
        var gray = new Mat();
        Cv2.CvtColor(rgb, gray, ColorConversionCodes.RGB2GRAY);
        return gray;
    }).ToList();
}
