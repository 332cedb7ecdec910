using Augment.Data;
using Augment.Generator;
using Augment.Synthetic.Gate;
using OpenCvSharp;

namespace Augment.Tests.Generator;

public class QualityGateTests
{
    static readonly Clip[] Training = [TinyFixtures.Textured(1), TinyFixtures.Textured(2)];
    static readonly QualityGate Gate = new(new GateOptions(), Training);

    static Clip Map(Clip clip, Func<int, int, int, int, byte, byte> pixel)
    {
        var px = (byte[])clip.Pixels.Clone();
        for (int t = 0; t < clip.Frames; t++)
            for (int y = 0; y < clip.Height; y++)
                for (int x = 0; x < clip.Width; x++)
                    for (int c = 0; c < 3; c++)
                    {
                        int i = ((t * clip.Height + y) * clip.Width + x) * 3 + c;
                        px[i] = pixel(t, y, x, c, px[i]);
                    }
        return new Clip(px, clip.Frames, clip.Height, clip.Width);
    }

    static GateVerdict Judge(Clip clip)
    {
        var verdict = Gate.Evaluate(clip);
        return verdict;
    }

    static string Describe(GateVerdict v) => string.Join(", ", v.Scores.Select(kv => $"{kv.Key}={kv.Value:F2}")) + $" | {v.Reason}";

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void GoodClipsPass(long seed)
    {
        var verdict = Judge(TinyFixtures.Textured(seed));
        Assert.True(verdict.Accepted, Describe(verdict));
        Assert.Equal(["blockiness", "border_fraction", "flicker", "luma", "memorisation_bits", "motion", "sharpness"], verdict.Scores.Keys.Order());
    }

    [Fact]
    public void PersistentBlackBordersAreRejected()
    {
        var bordered = Map(TinyFixtures.Textured(3), (_, y, x, _, v) => y < 5 || x >= 28 ? (byte)0 : v);
        var verdict = Judge(bordered);
        Assert.False(verdict.Accepted, Describe(verdict));
        Assert.Contains("black border", verdict.Reason);
    }

    [Fact]
    public void BlurredClipsAreRejected()
    {
        var sharp = TinyFixtures.Textured(3);
        var px = new byte[sharp.Pixels.Length];
        int frame = 32 * 32 * 3;
        for (int t = 0; t < sharp.Frames; t++)
        {
            using var rgb = ClipFrames.Rgb(sharp, t);
            using var blurred = new Mat();
            Cv2.GaussianBlur(rgb, blurred, new Size(0, 0), 4.0);
            blurred.GetArray(out Vec3b[] values);
            for (int i = 0; i < values.Length; i++) { px[t * frame + i * 3] = values[i].Item0; px[t * frame + i * 3 + 1] = values[i].Item1; px[t * frame + i * 3 + 2] = values[i].Item2; }
        }
        var verdict = Judge(new Clip(px, sharp.Frames, 32, 32));
        Assert.False(verdict.Accepted, Describe(verdict));
        Assert.Contains("blurred", verdict.Reason);
    }

    [Fact]
    public void DarkAndBrightClipsAreRejected()
    {
        var dark = Judge(TinyFixtures.Textured(3, gain: 0.1));
        Assert.Contains("too dark", dark.Reason);
        var bright = Judge(Map(TinyFixtures.Textured(3), (_, _, _, _, v) => (byte)Math.Min(255, v / 6 + 225)));
        Assert.Contains("too bright", bright.Reason);
    }

    [Fact]
    public void FrozenAndFlickeringClipsAreRejected()
    {
        var good = TinyFixtures.Textured(3);
        var frozen = Judge(Map(good, (_, y, x, c, _) => good.Pixels[(y * 32 + x) * 3 + c]));
        Assert.Contains("frozen", frozen.Reason);
        var flicker = Judge(TinyFixtures.Textured(3, frameGain: t => t % 2 == 0 ? 1.0 : 0.45));
        Assert.Contains("flicker", flicker.Reason);
        Assert.DoesNotContain("frozen", flicker.Reason);
    }

    [Fact]
    public void NearCopiesOfTrainingClipsAreRejected()
    {
        var rng = new Random(5);
        var copy = Map(Training[1], (_, _, _, _, v) => (byte)Math.Clamp(v + rng.Next(-3, 4), 0, 255));
        var verdict = Judge(copy);
        Assert.False(verdict.Accepted, Describe(verdict));
        Assert.Contains("near-copy", verdict.Reason);
        Assert.True(Judge(TinyFixtures.Textured(3)).Scores["memorisation_bits"] > 2 * new GateOptions().MemorisationMaxBits);
    }
}
