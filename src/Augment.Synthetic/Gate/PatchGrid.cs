using OpenCvSharp;

namespace Augment.Synthetic.Gate;

/// <summary>
/// How much a frame looks like a mosaic of square patches, as a patch-based generator that has not learnt to hide its
/// token grid draws it. For a grid period P (4 and 8 px, the patch sizes the native profiles produce at their clip
/// sizes) the mean absolute difference between neighbouring pixels is taken per phase (position mod P, rows and columns
/// together); on a mosaic one phase — the patch seams — carries nearly all of it. Blockiness is the strongest phase's
/// mean over the mean of the others, the larger over both periods: about 1 for camera video and noise, far above 1 for
/// a patch grid. Half a grey level is added to both means, so a flat frame scores 1, not 0/0.
/// </summary>
public static class PatchGrid
{
    static readonly int[] Periods = [4, 8];

    public static double Blockiness(Mat gray)
    {
        int h = gray.Rows, w = gray.Cols;
        gray.GetArray(out byte[] px);
        double best = 1;
        foreach (int period in Periods)
        {
            if (Math.Min(h, w) < 2 * period) continue;
            var sum = new double[period];
            var count = new long[period];
            for (int y = 0; y < h; y++)
                for (int x = 0; x + 1 < w; x++)
                {
                    sum[(x + 1) % period] += Math.Abs(px[y * w + x + 1] - px[y * w + x]);
                    count[(x + 1) % period]++;
                }
            for (int y = 0; y + 1 < h; y++)
                for (int x = 0; x < w; x++)
                {
                    sum[(y + 1) % period] += Math.Abs(px[(y + 1) * w + x] - px[y * w + x]);
                    count[(y + 1) % period]++;
                }
            var mean = Enumerable.Range(0, period).Select(k => sum[k] / Math.Max(1, count[k])).ToArray();
            int seam = Array.IndexOf(mean, mean.Max());
            double rest = Enumerable.Range(0, period).Where(k => k != seam).Average(k => mean[k]);
            best = Math.Max(best, (mean[seam] + 0.5) / (rest + 0.5));
        }
        return best;
    }
}
