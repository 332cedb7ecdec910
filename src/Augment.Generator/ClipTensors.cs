using Augment.Data;
using Augment.Data.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Generator;

/// <summary>Clips ↔ model tensors: [T,H,W,3] uint8 ↔ [3,T,H,W] float in [-1,1], resampled in time (uniform) and space.</summary>
public static class ClipTensors
{
    public static Tensor ToModel(Clip clip, int frames, int height, int width)
    {
        using var scope = NewDisposeScope();
        var x = clip.ToTensor().to(ScalarType.Float32).permute(0, 3, 1, 2); // [T,3,H,W]
        x = Resample(x, frames, height, width);
        return x.permute(1, 0, 2, 3).DividedBy(127.5).Minus(1).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Model output to pixels; NaN/Inf anywhere throws <see cref="NonFiniteOutputException"/> (clamping would hide it).</summary>
    public static Clip FromModel(Tensor x, int frames, int height, int width)
    {
        if (NonFinite.Count(x) is > 0 and var bad) throw new NonFiniteOutputException(bad);
        using var scope = NewDisposeScope();
        var pixels = x.detach().cpu().Clamped(-1, 1).Plus(1).Times(127.5).permute(1, 0, 2, 3); // [T,3,H,W]
        pixels = Resample(pixels, frames, height, width);
        return Clip.FromTensor(pixels.permute(0, 2, 3, 1));
    }

    /// <summary>Resamples a clip to another clip size (frames uniformly in time, area/bilinear in space).</summary>
    public static Clip Resize(Clip clip, ClipSpec spec)
    {
        if (clip.Frames == spec.Frames && clip.Height == spec.Height && clip.Width == spec.Width) return clip;
        using var x = ToModel(clip, clip.Frames, clip.Height, clip.Width);
        return FromModel(x, spec.Frames, spec.Height, spec.Width);
    }

    // Area averaging when shrinking (no aliasing), bilinear when enlarging (area cannot upsample with align_corners).
    static Tensor Resample(Tensor x, int frames, int height, int width)
    {
        long t = x.shape[0];
        if (t != frames)
        {
            var idx = Enumerable.Range(0, frames).Select(i => (long)Math.Min(t - 1, Math.Floor((i + 0.5) * t / frames))).ToArray();
            x = x.index_select(0, tensor(idx));
        }
        if (x.shape[2] == height && x.shape[3] == width) return x;
        bool down = x.shape[2] >= height && x.shape[3] >= width;
        return down
            ? nn.functional.interpolate(x, new long[] { height, width }, mode: InterpolationMode.Area)
            : nn.functional.interpolate(x, new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
    }
}
