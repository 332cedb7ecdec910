using Augment.Classifier.Models;
using Augment.Data;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using Augment.Data.Numerics;

namespace Augment.Classifier;

/// <summary>
/// Turns rows of a <see cref="ClipSet"/> into a normalised float batch [B,3,T,H,W] on the device, optionally with
/// training augmentation: temporal jitter (shifted frame indices), random resized crop and horizontal flip (one affine
/// resample of every frame), brightness/contrast jitter. Random draws come from a seeded <see cref="Random"/>, so a
/// batch depends only on the seed, never on thread timing. A pretrained backbone's clips are then resized, cropped and
/// normalised as its weights expect (<see cref="Preprocessing"/>); Augment's own models use one mean and std.
/// </summary>
public static class ClipBatcher
{
    static readonly Scalar Mean = 0.45f, Std = 0.225f, PixelMax = 255f;

    public static Tensor Make(ClipSet set, int[] rows, Device device, Random? augment = null, Preprocessing? preprocessing = null)
    {
        using var scope = NewDisposeScope();
        long n = set.Pixels.shape[0], t = set.Pixels.shape[1], h = set.Pixels.shape[2], w = set.Pixels.shape[3];
        int b = rows.Length;

        // Frame index per (clip, time step); with augmentation each clip's frames shift by up to T/8 (clamped).
        var frameIndex = new long[b * t];
        int maxShift = (int)Math.Max(1, t / 8);
        for (int i = 0; i < b; i++)
        {
            int shift = augment is null ? 0 : augment.Next(-maxShift, maxShift + 1);
            for (int f = 0; f < t; f++) frameIndex[i * t + f] = rows[i] * t + Math.Clamp(f + shift, 0, t - 1);
        }
        var frames = set.Pixels.view(n * t, h, w, 3).index_select(0, tensor(frameIndex))   // [B·T,H,W,3] uint8
            .to(device).to(ScalarType.Float32).permute(0, 3, 1, 2).div(PixelMax);         // [B·T,3,H,W] in [0,1]

        if (augment is not null)
        {
            frames = CropAndFlip(frames, b, (int)t, augment);
            frames = ColourJitter(frames, b, (int)t, augment);
        }
        return Finish(frames, b, t, preprocessing).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One test-time view of rows (MMAction2's num_clips × ThreeCrop): the set holds clips decoded at view.Clips × T
    /// frames (uniform in time, so every Clips-th frame is again a uniform T-frame clip, shifted by a fraction of a
    /// segment) and, for three crops, wider than the model's frames; clip c takes frames c, c+Clips, …, crop k the
    /// left, centre or right H×W window (one crop: the centre).
    /// </summary>
    public static Tensor View(ClipSet set, int[] rows, Device device, TestViews views, int clip, int crop, Preprocessing? preprocessing)
    {
        using var scope = NewDisposeScope();
        long t = set.Pixels.shape[1], h = set.Pixels.shape[2], w = set.Pixels.shape[3];
        if (t != (long)views.Frames * views.Clips || h != views.Height || w < views.Width)
            throw new ArgumentException($"test views: clips are {t}x{h}x{w}, {views.Clips} views of {views.Frames}x{views.Height}x{views.Width} need {views.Frames * views.Clips}x{views.Height}x≥{views.Width}");
        long left = views.Crops == 1 ? (w - views.Width) / 2 : crop * (w - views.Width) / (views.Crops - 1);
        var frames = set.Pixels.index_select(0, tensor(rows.Select(r => (long)r).ToArray()))
            .index_select(1, HeldScalars.Arange(clip, t, views.Clips, ScalarType.Int64)) // [B,T,H,W',3]
            .narrow(3, left, views.Width).to(device).to(ScalarType.Float32)
            .reshape(rows.Length * views.Frames, h, views.Width, 3).permute(0, 3, 1, 2).div(PixelMax);
        return Finish(frames, rows.Length, views.Frames, preprocessing).MoveToOuterDisposeScope();
    }

    /// <summary>[B·T,3,h,w] in [0,1] to the model's normalised [B,3,T,H,W].</summary>
    static Tensor Finish(Tensor frames, long b, long t, Preprocessing? preprocessing)
    {
        var ready = preprocessing is null ? frames.sub(Mean).div(Std) : preprocessing.Apply(frames);
        return ready.view(b, t, 3, ready.shape[2], ready.shape[3]).permute(0, 2, 1, 3, 4).contiguous();
    }

    /// <summary>Random resized crop (area 60–100 %, aspect 3/4–4/3) and a coin-flip mirror, the same for all frames of a clip.</summary>
    static Tensor CropAndFlip(Tensor frames, int b, int t, Random rng)
    {
        var theta = new float[b * 6];
        for (int i = 0; i < b; i++)
        {
            double area = 0.6 + 0.4 * rng.NextDouble();
            double aspect = Math.Exp(Math.Log(0.75) + (Math.Log(4.0 / 3) - Math.Log(0.75)) * rng.NextDouble());
            double sx = Math.Min(1, Math.Sqrt(area * aspect)), sy = Math.Min(1, Math.Sqrt(area / aspect));
            double cx = (1 - sx) * (2 * rng.NextDouble() - 1), cy = (1 - sy) * (2 * rng.NextDouble() - 1);
            double flip = rng.NextDouble() < 0.5 ? -1 : 1;
            theta[i * 6 + 0] = (float)(sx * flip); theta[i * 6 + 2] = (float)cx;
            theta[i * 6 + 4] = (float)sy; theta[i * 6 + 5] = (float)cy;
        }
        var perClip = tensor(theta, new long[] { b, 1, 2, 3 }).to(frames.device);
        var perFrame = perClip.expand(b, t, 2, 3).reshape(b * t, 2, 3);
        var grid = F.affine_grid(perFrame, frames.shape, align_corners: false);
        return F.grid_sample(frames, grid, GridSampleMode.Bilinear, GridSamplePaddingMode.Border, align_corners: false);
    }

    /// <summary>Brightness ×[0.85,1.15] and contrast ×[0.85,1.15] per clip; colour itself is left alone because it can carry the class.</summary>
    static Tensor ColourJitter(Tensor frames, int b, int t, Random rng)
    {
        var brightness = new float[b];
        var contrast = new float[b];
        for (int i = 0; i < b; i++)
        {
            brightness[i] = (float)(0.85 + 0.3 * rng.NextDouble());
            contrast[i] = (float)(0.85 + 0.3 * rng.NextDouble());
        }
        var shape = new long[] { b, 1, 1, 1, 1 };
        var clips = frames.view(b, t, 3, frames.shape[2], frames.shape[3]);
        var mean = clips.mean(new long[] { 1, 2, 3, 4 }, keepdim: true);
        var bTensor = tensor(brightness, shape).to(frames.device);
        var cTensor = tensor(contrast, shape).to(frames.device);
        var jittered = ((clips - mean) * cTensor).Plus(mean) * bTensor;
        return jittered.Clamped(0, 1).view(frames.shape);
    }
}

/// <summary>Test-time views: Clips temporal clips × Crops spatial crops (1 or 3) of Frames×Height×Width each.</summary>
public sealed record TestViews(int Clips, int Crops, int Frames, int Height, int Width)
{
    public int Count => Clips * Crops;

    /// <summary>The clip shape the test split is decoded at: Clips·T frames, and for three crops a 4:3 frame
    /// (the centre of a wider video), so the crops slide along its width as ThreeCrop does.</summary>
    public ClipSpec DecodeSpec(ClipSpec spec) => spec with
    {
        Frames = Frames * Clips,
        Width = Crops == 3 ? Math.Max(Width, (int)Math.Round(Height * 4.0 / 3)) : Width,
    };

    public string Describe => Count == 1 ? "1 view" : $"{Clips} clips × {Crops} crops, probabilities averaged";
}
