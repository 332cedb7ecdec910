using TorchSharp;
using Augment.Generator.Models.Diffusers;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// Port of diffusers' AutoencoderKLWan (Wan2.1), with its parameter names and shapes, run on its own chunked schedule:
/// encode takes frame 0 alone and then 4 frames at a time (1 + 4k frames; extra trailing frames are dropped, as
/// diffusers does), decode one latent frame at a time, each causal conv carrying its last two input frames between
/// chunks (<see cref="WanVaeCache"/>). Decoding memory is therefore one latent frame's activations plus the caches,
/// whatever the clip length; with <see cref="Tiling"/> the frame is also cut into overlapping tiles (diffusers'
/// tiled_encode/tiled_decode), each run on that schedule with its own caches, so the activations are one tile's.
/// Outputs: the posterior's mean and log-variance (clamped to [−30, 20]) and the decoded video clamped to [−1, 1].
/// The pipeline's latent normalisation is <see cref="Normalize"/> / <see cref="Denormalize"/>.
/// </summary>
public sealed class AutoencoderKLWan : Module<Tensor, Tensor>
{
    readonly WanEncoder3d encoder;
    readonly WanCausalConv3d quant_conv;
    readonly WanCausalConv3d post_quant_conv;
    readonly WanDecoder3d decoder;

    public AutoencoderKLWanConfig Config { get; }

    public AutoencoderKLWan(AutoencoderKLWanConfig config, Device? device = null) : base(nameof(AutoencoderKLWan))
    {
        Config = config;
        encoder = new WanEncoder3d(config, device);
        quant_conv = new WanCausalConv3d(2L * config.ZDim, 2L * config.ZDim, 1, 0, device);
        post_quant_conv = new WanCausalConv3d(config.ZDim, config.ZDim, 1, 0, device);
        decoder = new WanDecoder3d(config, device);
        RegisterComponents();
    }

    /// <summary>Spatial tiling for Encode and Decode (diffusers' <c>enable_tiling()</c>), used only for inputs larger
    /// than one tile; null (the default, as in diffusers) runs each chunk over the whole frame.</summary>
    public VaeTiling? Tiling
    {
        get => tiling;
        set
        {
            value?.Check(Config.ScaleFactorSpatial);
            tiling = value;
        }
    }
    VaeTiling? tiling;

    /// <summary>Frames a decoded latent frame becomes after the first: 2 per time up-sampling stage.</summary>
    long TemporalUpsampling => 1L << Config.TemperalDownsample.Count(d => d);

    /// <summary>The posterior of a video [B,3,F,H,W] in [−1,1]: (mean, logvar), each [B,z,1+(F−1)/4,H/8,W/8].</summary>
    public (Tensor Mean, Tensor LogVar) Encode(Tensor video)
    {
        if (video.dim() != 5 || video.shape[1] != Config.InChannels)
            throw new ArgumentException($"the VAE encodes [B,{Config.InChannels},F,H,W] videos, got [{string.Join(",", video.shape)}]");
        using var scope = NewDisposeScope();
        var moments = (tiling is null ? EncodeMoments(video) : tiling.Encode(video, Config.ScaleFactorSpatial, EncodeMoments)).chunk(2, 1);
        return (moments[0].MoveToOuterDisposeScope(), moments[1].Clamped(-30.0, 20.0).MoveToOuterDisposeScope());
    }

    /// <summary>The encoder's (mean, logvar) moments of one tile (or the whole frame), on the chunked schedule with its
    /// own caches.</summary>
    Tensor EncodeMoments(Tensor video)
    {
        using var scope = NewDisposeScope();
        using var cache = new WanVaeCache();
        long chunks = 1 + (video.shape[2] - 1) / 4;
        var outs = new List<Tensor>();
        for (long i = 0; i < chunks; i++)
        {
            cache.BeginChunk();
            var chunk = i == 0 ? video.narrow(2, 0, 1) : video.narrow(2, 1 + 4 * (i - 1), 4);
            outs.Add(encoder.forward(chunk, cache));
        }
        return quant_conv.forward(cat(outs, 2), null).MoveToOuterDisposeScope();
    }

    /// <summary>A latent [B,z,f,h,w] to a video [B,3,1+4(f−1),8h,8w] in [−1,1], one latent frame at a time.</summary>
    public Tensor Decode(Tensor latent)
    {
        if (latent.dim() != 5 || latent.shape[1] != Config.ZDim)
            throw new ArgumentException($"the VAE decodes [B,{Config.ZDim},f,h,w] latents, got [{string.Join(",", latent.shape)}]");
        using var scope = NewDisposeScope();
        var video = tiling is null ? DecodeFrames(latent) : tiling.Decode(latent, Config.ScaleFactorSpatial, DecodeFrames);
        using Scalar lo = -1.0, hi = 1.0;
        return video.clamp_(lo, hi).MoveToOuterDisposeScope();
    }

    /// <summary>The decoder's unclamped output for one tile (or the whole frame), one latent frame at a time with its
    /// own caches.</summary>
    Tensor DecodeFrames(Tensor latent)
    {
        using var scope = NewDisposeScope();
        using var cache = new WanVaeCache();
        var x = post_quant_conv.forward(latent, null);
        Tensor? video = null;
        long done = 0;
        for (long i = 0; i < x.shape[2]; i++)
        {
            using var frameScope = NewDisposeScope();
            cache.BeginChunk();
            var chunk = decoder.forward(x.narrow(2, i, 1), cache);
            // Written into the clip as it comes (no list of chunks and a concatenated copy): chunk 0 is one frame,
            // every later chunk the same number (the time up-sampling's factor).
            video ??= empty([chunk.shape[0], chunk.shape[1], 1 + (x.shape[2] - 1) * TemporalUpsampling, chunk.shape[3], chunk.shape[4]],
                dtype: chunk.dtype, device: chunk.device).MoveToOuterDisposeScope();
            video.narrow(2, done, chunk.shape[2]).copy_(chunk);
            done += chunk.shape[2];
        }
        return video!.MoveToOuterDisposeScope();
    }

    /// <summary>Decode(z) (what <c>forward</c> means here, as in diffusers' forward without sampling: the decoder).</summary>
    public override Tensor forward(Tensor latent) => Decode(latent);

    /// <summary>(z − latents_mean)/latents_std per channel: what the pipeline feeds the transformer.</summary>
    public Tensor Normalize(Tensor z)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Stats(z);
        return ((z - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>z·latents_std + latents_mean: the transformer's latents back to the VAE's.</summary>
    public Tensor Denormalize(Tensor z)
    {
        using var scope = NewDisposeScope();
        var (mean, std) = Stats(z);
        return (z * std).Plus(mean).MoveToOuterDisposeScope();
    }

    (Tensor Mean, Tensor Std) Stats(Tensor like)
    {
        if (Config.LatentsMean.Length != Config.ZDim || Config.LatentsStd.Length != Config.ZDim)
            throw new InvalidOperationException($"latents_mean/latents_std need {Config.ZDim} values each");
        var shape = new long[] { 1, Config.ZDim, 1, 1, 1 };
        return (tensor(Config.LatentsMean, dtype: like.dtype, device: like.device).view(shape),
                tensor(Config.LatentsStd, dtype: like.dtype, device: like.device).view(shape));
    }
}
