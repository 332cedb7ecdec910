using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Classifier.Models;

/// <summary>
/// How clips must be prepared for a backbone's published weights (torchvision's VideoClassification and
/// ImageClassification presets; <see cref="For(ModelConfig)"/> gives a model's): frames
/// resized to <see cref="ResizeHeight"/>×<see cref="ResizeWidth"/>, centre-cropped to <see cref="CropHeight"/>×<see cref="CropWidth"/>,
/// scaled to [0,1] and normalised with <see cref="Mean"/>/<see cref="Std"/> per RGB channel.
/// </summary>
public sealed record Preprocessing(float[] Mean, float[] Std, int ResizeHeight, int ResizeWidth, int CropHeight, int CropWidth)
{
    /// <summary>torchvision's r3d_18 / mc3_18 / r2plus1d_18 Kinetics-400 weights.</summary>
    public static readonly Preprocessing Kinetics112 = new([0.43216f, 0.394666f, 0.37645f], [0.22803f, 0.22145f, 0.216989f], 128, 171, 112, 112);
    /// <summary>torchvision's ImageNet resnet18 weights (ImageClassification: resize 256, crop 224).</summary>
    public static readonly Preprocessing ImageNet224 = new([0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f], 256, 256, 224, 224);
    /// <summary>torchvision's s3d Kinetics-400 weights.</summary>
    public static readonly Preprocessing Kinetics224 = new([0.43216f, 0.394666f, 0.37645f], [0.22803f, 0.22145f, 0.216989f], 256, 256, 224, 224);

    /// <summary>
    /// What a model expects: its kind's preprocessing with the crop at the model's input size (a config's
    /// classifier.crop), the resize scaled by the same factor so the crop keeps torchvision's share of the frame, and
    /// the config's mean/std where it sets them (weights trained with other statistics, e.g. MMAction2's 0–255 ones).
    /// </summary>
    public static Preprocessing? For(ModelConfig config)
    {
        if (For(config.Kind) is not { } published) return null;
        var weights = published with { Mean = config.Mean ?? published.Mean, Std = config.Std ?? published.Std };
        if ((config.Height, config.ImageWidth) == (weights.CropHeight, weights.CropWidth)) return weights;
        return weights with
        {
            CropHeight = config.Height,
            CropWidth = config.ImageWidth,
            ResizeHeight = (int)Math.Round((double)weights.ResizeHeight * config.Height / weights.CropHeight),
            ResizeWidth = (int)Math.Round((double)weights.ResizeWidth * config.ImageWidth / weights.CropWidth),
        };
    }

    /// <summary>What a classifier kind's weights expect; null for Augment's own models (they normalise clips themselves).</summary>
    public static Preprocessing? For(string kind) => kind switch
    {
        "r3d_18" or "mc3_18" or "r2plus1d_18" => Kinetics112,
        "s3d" => Kinetics224,
        "resnet18" => ImageNet224,
        _ => null,
    };

    /// <summary>
    /// Frames [N,3,h,w] in [0,1] to the backbone's input: the short side resized to min(ResizeHeight, ResizeWidth)
    /// (bilinear), the centre CropHeight×CropWidth kept, then normalised. torchvision resizes to a fixed 128×171; clips
    /// here are already cut to the run's aspect, so the short side is what keeps torchvision's field of view (crop/resize).
    /// </summary>
    public Tensor Apply(Tensor frames)
    {
        using var scope = NewDisposeScope();
        long h = frames.shape[2], w = frames.shape[3];
        double scale = (double)Math.Min(ResizeHeight, ResizeWidth) / Math.Min(h, w);
        long h2 = Math.Max(CropHeight, (long)Math.Round(h * scale)), w2 = Math.Max(CropWidth, (long)Math.Round(w * scale));
        var resized = (h2, w2) == (h, w) ? frames
            : nn.functional.interpolate(frames, [h2, w2], mode: InterpolationMode.Bilinear, align_corners: false);
        long top = (h2 - CropHeight) / 2, left = (w2 - CropWidth) / 2;
        var crop = resized.narrow(2, top, CropHeight).narrow(3, left, CropWidth);
        var mean = tensor(Mean, new long[] { 1, 3, 1, 1 }).to(frames.device).to(frames.dtype);
        var std = tensor(Std, new long[] { 1, 3, 1, 1 }).to(frames.device).to(frames.dtype);
        return crop.sub(mean).div(std).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// A classifier whose architecture and names are an official model's, so its published checkpoints load: it knows
/// which tensors form the head (replaced for a new class list) and its stages in order (stem first) for MMAction2's
/// frozen_stages. The preprocessing its weights expect is <see cref="Preprocessing.For(ModelConfig)"/>.
/// </summary>
public interface IPretrainedBackbone
{
    /// <summary>State-dict prefix of the classification head (fc. for VideoResNet, classifier. for S3D).</summary>
    string HeadPrefix { get; }
    /// <summary>The stem, then each stage; frozen_stages = k freezes the stem and the first k stages (MMAction2's convention).</summary>
    IReadOnlyList<Module[]> Stages { get; }
    /// <summary>The pooled map exactly as the official model's avgpool returns it ([B,C,t,h,w]), for comparisons with it.</summary>
    Tensor PooledMap(Tensor input);
}

/// <summary>
/// Builds 3D convolutions while tracking the activation shape [T,H,W] through them, so a model counts its forward FLOPs
/// (2 per multiply-add) from the layers as they are made.
/// </summary>
sealed class FlopCounter(int frames, int height, int width)
{
    (long T, long H, long W) dims = (frames, height, width);

    public long Flops { get; private set; }

    public (long, long, long) Save() => dims;
    public void Restore((long, long, long) saved) => dims = saved;

    public TorchSharp.Modules.Conv3d Conv(int inC, int outC, (long T, long H, long W) k, (long T, long H, long W) s, (long T, long H, long W) p, bool bias = false)
    {
        Pool(k, s, p);
        Flops += 2L * outC * dims.T * dims.H * dims.W * inC * k.T * k.H * k.W;
        return Conv3d(inC, outC, k, stride: s, padding: p, bias: bias);
    }

    /// <summary>A pooling window (or convolution) moves the shape along; ceil_mode off, as PyTorch's default.</summary>
    public void Pool((long T, long H, long W) k, (long T, long H, long W) s, (long T, long H, long W) p) =>
        dims = (Out(dims.T, k.T, s.T, p.T), Out(dims.H, k.H, s.H, p.H), Out(dims.W, k.W, s.W, p.W));

    static long Out(long len, long k, long s, long p) => (len + 2 * p - k) / s + 1;
}
