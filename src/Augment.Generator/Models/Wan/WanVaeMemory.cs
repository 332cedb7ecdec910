using Augment.Generator.Models.Diffusers;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// The memory <see cref="AutoencoderKLWan.Decode"/> needs, computed from the config without running it: the tensors
/// alive at the worst moment of one steady-state chunk (a latent frame after the first, the most frames per stage), as
/// this port frees them (each step's input right after the step), plus every causal conv's two cached frames and the
/// decoded clip. Peak = weights + caches + that chunk's largest live set + the output held meanwhile. Allocator
/// overhead, convolution workspaces and the transformer are not in it.
/// </summary>
public static class WanVaeMemory
{
    /// <param name="Where">the step where the live set peaks</param>
    /// <param name="Output">the decoded clip (tiled: plus the two rows of tiles being blended)</param>
    public sealed record Estimate(long Weights, long Caches, long Activations, string Where, long Output)
    {
        public long Peak => Weights + Caches + Activations + Output;
    }

    /// <summary>Decoding a clip of <paramref name="frames"/> (1 + 4k) frames of <paramref name="height"/>×<paramref name="width"/>
    /// pixels with weights and activations of <paramref name="bytes"/> bytes per value (4: fp32, 2: bf16).</summary>
    public static Estimate Decode(AutoencoderKLWanConfig c, int frames, int height, int width, int bytes, VaeTiling? tiling, long parameters)
    {
        int s = c.ScaleFactorSpatial;
        long h = height / s, w = width / s, latentFrames = 1 + (frames - 1) / c.ScaleFactorTemporal;
        bool tiled = tiling is not null && (h > tiling.TileSampleMinHeight / s || w > tiling.TileSampleMinWidth / s);
        long th = tiled ? Math.Min(h, tiling!.TileSampleMinHeight / s) : h, tw = tiled ? Math.Min(w, tiling!.TileSampleMinWidth / s) : w;
        var (caches, peak, where) = Chunk(c, th * tw, steady: latentFrames > 1, bytes);
        long outFrames = c.OutChannels * (1 + (latentFrames - 1) * (1L << c.TemperalDownsample.Count(d => d)));
        long output = outFrames * height * width * bytes;
        if (tiled)
        {
            // The tile's own clip, and the previous and current rows of tiles (each tile its full size, all frames).
            long tileWidths = 0;
            for (long j = 0; j < w; j += tiling!.TileSampleStrideWidth / s) tileWidths += Math.Min(tiling.TileSampleMinWidth / s, w - j) * s;
            output += outFrames * (th * s) * (tw * s) * bytes + 2 * outFrames * (th * s) * tileWidths * bytes;
        }
        return new Estimate(parameters * bytes, caches, peak, where, output);
    }

    /// <summary>One chunk through the decoder over <paramref name="n0"/> latent pixels: (cache bytes, the largest live set
    /// besides the caches, where it is). Mirrors WanDecoder3d's layers and what each keeps alive.</summary>
    static (long Caches, long Peak, string Where) Chunk(AutoencoderKLWanConfig c, long n0, bool steady, int bytes)
    {
        long caches = 0, peak = 0;
        string where = "";
        void Moment(long elements, string at)
        {
            if (elements * bytes > peak) (peak, where) = (elements * bytes, at);
        }
        // The normalised copy (bf16: also the float32 input copy and result the norm computes in).
        long Norm(long e) => bytes == 4 ? e : e * (4 + 4 + bytes) / bytes;
        // A causal 3×3×3 conv over T frames of cin channels: its input x, the new cache (2 frames), the input with the
        // old cache in front (T+2 frames) and the output; `also`: what else its caller holds.
        void Conv(long cin, long cout, long t, long n, long also, string at)
        {
            Moment(also + cin * t * n + 2 * cin * n + (t + 2) * cin * n + cout * t * n, at);
            caches += 2 * cin * n * bytes;
        }
        void Residual(long cin, long cout, long t, long n, string at)
        {
            long x = cin * t * n, shortcut = cin == cout ? 0 : cout * t * n, y = cout * t * n;
            Moment(x + shortcut + Norm(x), at + " norm1");
            Conv(cin, cout, t, n, x + shortcut, at + " conv1");
            Moment(x + shortcut + y + Norm(y), at + " norm2");
            Conv(cout, cout, t, n, x + shortcut, at + " conv2");
        }

        int dim = c.DecoderBaseDim ?? c.BaseDim;
        var dims = new[] { c.DimMult[^1] }.Concat(c.DimMult.Reverse()).Select(u => (long)dim * u).ToArray();
        var temporal = c.TemperalDownsample.Reverse().ToArray();
        long frames = 1, pixels = n0;
        Conv(c.ZDim, dims[0], 1, pixels, 0, "conv_in");
        Residual(dims[0], dims[0], 1, pixels, "mid resnet 0");
        // Single-head attention per frame: the normalised input, qkv and its contiguous copy, scores and softmax.
        Moment(dims[0] * pixels * 2 + 6 * dims[0] * pixels + 2 * pixels * pixels, "mid attention");
        Residual(dims[0], dims[0], 1, pixels, "mid resnet 1");
        for (int i = 0; i < c.DimMult.Length; i++)
        {
            long cin = i > 0 ? dims[i] / 2 : dims[i], cout = dims[i + 1];
            for (int r = 0; r <= c.NumResBlocks; r++) Residual(r == 0 ? cin : cout, cout, frames, pixels, $"up {i} resnet {r}");
            if (i == c.DimMult.Length - 1) continue;
            long x = cout * frames * pixels;
            if (temporal[i] && steady)
            {
                Conv(cout, 2 * cout, frames, pixels, 0, $"up {i} time conv");
                Moment(x + 2 * x + 2 * x, $"up {i} time interleave");
                frames *= 2;
            }
            long e = cout * frames * pixels;
            Moment(x + e + 4 * e, $"up {i} upsample");
            Moment(x + 4 * e + 2 * e, $"up {i} upsample conv");
            pixels *= 4;
        }
        long last = dims[^1] * frames * pixels;
        Moment(last + Norm(last), "norm_out");
        Conv(dims[^1], c.OutChannels, frames, pixels, 0, "conv_out");
        return (caches, peak, where);
    }
}
