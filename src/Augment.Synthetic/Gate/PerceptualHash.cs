using System.Numerics;
using OpenCvSharp;

namespace Augment.Synthetic.Gate;

/// <summary>DCT perceptual hash (pHash): 64 bits per frame from the low-frequency 8×8 DCT block against its median.</summary>
public static class PerceptualHash
{
    public static ulong Frame(Mat gray)
    {
        using var small = new Mat();
        Cv2.Resize(gray, small, new Size(32, 32), interpolation: InterpolationFlags.Area);
        using var f = new Mat();
        small.ConvertTo(f, MatType.CV_32F);
        using var dct = new Mat();
        Cv2.Dct(f, dct);
        var low = new float[64];
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                low[y * 8 + x] = dct.At<float>(y, x);
        // The DC term is brightness, not structure: it takes no part in the median.
        var median = low.Skip(1).Order().ElementAt(31);
        ulong bits = 0;
        for (int i = 1; i < 64; i++) if (low[i] > median) bits |= 1UL << i;
        return bits;
    }

    /// <summary>Mean Hamming distance between frame-aligned hashes (frames resampled to the shorter clip).</summary>
    public static double Distance(IReadOnlyList<ulong> a, IReadOnlyList<ulong> b)
    {
        int n = Math.Min(a.Count, b.Count);
        double sum = 0;
        for (int i = 0; i < n; i++)
            sum += BitOperations.PopCount(a[i * a.Count / n] ^ b[i * b.Count / n]);
        return sum / n;
    }
}
