using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Wan;

/// <summary>diffusers' WanRMS_norm: F.normalize over channels (L2, eps 1e-12) · √C · <c>gamma</c> (no bias in Wan2.1).</summary>
public sealed class WanRmsNorm : Module<Tensor, Tensor>
{
    readonly Parameter gamma;
    readonly double scale;

    /// <param name="images">true: [B,C,H,W] input (gamma [C,1,1]); false: [B,C,T,H,W] (gamma [C,1,1,1])</param>
    public WanRmsNorm(long dim, bool images, Device? device = null) : base(nameof(WanRmsNorm))
    {
        scale = Math.Sqrt(dim);
        gamma = Parameter(ones(images ? [dim, 1, 1] : [dim, 1, 1, 1], device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // One new tensor (the normalised copy, then scaled in place): the decoder's largest activations pass through here.
        Tensor normed;
        using (var x32 = x.to(ScalarType.Float32))
        using (var n32 = functional.normalize(x32, p: 2, dim: 1, eps: 1e-12))
            normed = n32.to(x.dtype);
        using Scalar s = scale;
        return normed.mul_(s).mul_(gamma);
    }
}

/// <summary>One cached layer of the encoder's or decoder's list (a residual block, a resample, an attention block).</summary>
public abstract class WanVaeLayer(string name) : Module<Tensor, WanVaeCache, Tensor>(name);

/// <summary>diffusers' WanResidualBlock: RMS norm, SiLU, causal 3×3×3 conv, twice, plus a 1×1×1 shortcut when the width changes.</summary>
public sealed class WanResidualBlock : WanVaeLayer
{
    readonly WanRmsNorm norm1, norm2;
    readonly WanCausalConv3d conv1, conv2;
    readonly WanCausalConv3d? conv_shortcut;

    public WanResidualBlock(long inDim, long outDim, Device? device = null) : base(nameof(WanResidualBlock))
    {
        norm1 = new WanRmsNorm(inDim, images: false, device);
        conv1 = new WanCausalConv3d(inDim, outDim, 3, 1, device);
        norm2 = new WanRmsNorm(outDim, images: false, device);
        conv2 = new WanCausalConv3d(outDim, outDim, 3, 1, device);
        if (inDim != outDim) conv_shortcut = new WanCausalConv3d(inDim, outDim, 1, 0, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, WanVaeCache cache)
    {
        using var scope = NewDisposeScope();
        var h = conv_shortcut is null ? x : conv_shortcut.forward(x, null);
        // Each intermediate is freed as soon as the next step has it (at full resolution one is 0.6 GB in fp32 at 480p).
        Tensor y;
        using (var a = norm1.forward(x).silu_()) y = cache.CausalConv(conv1, a);
        using (var a = WanVaeCache.Step(y, norm2.forward).silu_()) y = cache.CausalConv(conv2, a);
        return y.PlusInPlace(h).MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' WanAttentionBlock: single-head self-attention over each frame's H·W positions (1×1 conv qkv and proj).</summary>
public sealed class WanAttentionBlock : WanVaeLayer
{
    readonly WanRmsNorm norm;
    readonly Conv2d to_qkv, proj;

    public WanAttentionBlock(long dim, Device? device = null) : base(nameof(WanAttentionBlock))
    {
        norm = new WanRmsNorm(dim, images: true, device);
        to_qkv = Conv2d(dim, dim * 3, 1, device: device);
        proj = Conv2d(dim, dim, 1, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, WanVaeCache cache)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        var frames = x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w);
        var qkv = to_qkv.forward(norm.forward(frames)).reshape(b * t, 1, c * 3, -1).permute(0, 1, 3, 2).contiguous().chunk(3, -1);
        var attended = functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2]);
        var y = proj.forward(attended.squeeze(1).permute(0, 2, 1).reshape(b * t, c, h, w));
        return y.view(b, t, c, h, w).permute(0, 2, 1, 3, 4).Plus(x).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// diffusers' WanResample: per frame, nearest ×2 then a 3×3 conv to <c>upsample_out_dim</c> (up), or right/bottom zero
/// padding then a stride-2 3×3 conv (down); the 3d modes add a time conv (<c>time_conv</c>): up doubles the frames from
/// a causal (3,1,1) conv to 2·dim channels, skipped on the first chunk; down is a stride-2 (3,1,1) conv over the
/// previous chunk's last frame and this chunk, the first chunk passing unchanged.
/// </summary>
public sealed class WanResample : WanVaeLayer
{
    readonly string mode;
    readonly ModuleList<Module<Tensor, Tensor>> resample;
    readonly WanCausalConv3d? time_conv;

    public WanResample(long dim, string mode, long? upsampleOutDim = null, Device? device = null) : base(nameof(WanResample))
    {
        this.mode = mode;
        var up = upsampleOutDim ?? dim / 2;
        // Index 0 is parameter-free in diffusers (WanUpsample / ZeroPad2d); the conv is resample.1.
        resample = mode switch
        {
            "upsample2d" or "upsample3d" => ModuleList<Module<Tensor, Tensor>>(Identity(), Conv2d(dim, up, 3, padding: 1, device: device)),
            "downsample2d" or "downsample3d" => ModuleList<Module<Tensor, Tensor>>(Identity(), Conv2d(dim, dim, 3, stride: 2, device: device)),
            _ => throw new ArgumentException($"resample mode must be upsample2d/3d or downsample2d/3d, not '{mode}'"),
        };
        if (mode == "upsample3d") time_conv = new WanCausalConv3d(dim, dim * 2, (3, 1, 1), null, (1, 0, 0), device);
        if (mode == "downsample3d") time_conv = new WanCausalConv3d(dim, dim, (3, 1, 1), (2, 1, 1), null, device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, WanVaeCache cache)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1];
        var input = x;
        if (mode == "upsample3d")
        {
            int slot = cache.Next();
            if (cache.Get(slot) is null && !cache.IsRep(slot)) cache.Set(slot, null, isRep: true);
            else
            {
                var previous = cache.Get(slot);
                bool rep = cache.IsRep(slot);
                var keep = x.narrow(2, Math.Max(0, x.shape[2] - WanVaeCache.Frames), Math.Min(WanVaeCache.Frames, x.shape[2])).clone();
                if (keep.shape[2] < WanVaeCache.Frames)
                    keep = cat([rep ? zeros_like(keep) : previous!.narrow(2, previous.shape[2] - 1, 1), keep], 2);
                long t0 = x.shape[2], h0 = x.shape[3], w0 = x.shape[4];
                using (var inner = NewDisposeScope())
                {
                    var doubled = time_conv!.forward(x, rep ? null : previous).reshape(b, 2, c, t0, h0, w0);
                    x = stack([doubled.select(1, 0), doubled.select(1, 1)], 3).reshape(b, c, t0 * 2, h0, w0).MoveToOuterDisposeScope();
                }
                cache.Set(slot, keep);
            }
        }
        long t = x.shape[2], h = x.shape[3], w = x.shape[4];
        Tensor frames;
        using (var byFrame = x.permute(0, 2, 1, 3, 4)) frames = byFrame.reshape(b * t, c, h, w);
        if (!ReferenceEquals(x, input)) x.Dispose();
        // Each step's input is freed once the next has it: the up-sampled frames are the decoder's largest tensors.
        frames = WanVaeCache.Step(frames, f => mode.StartsWith("up")
            ? functional.interpolate(f, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest) // = nearest-exact at exactly ×2
            : functional.pad(f, [0, 1, 0, 1]));
        frames = WanVaeCache.Step(frames, f => resample[1].forward(f));
        x = frames.view(b, t, frames.shape[1], frames.shape[2], frames.shape[3]).permute(0, 2, 1, 3, 4);
        if (mode == "downsample3d")
        {
            int slot = cache.Next();
            var previous = cache.Get(slot);
            if (previous is null) cache.Set(slot, x.clone());
            else
            {
                var keep = x.narrow(2, x.shape[2] - 1, 1).clone();
                x = time_conv!.forward(cat([previous.narrow(2, previous.shape[2] - 1, 1), x], 2), null);
                cache.Set(slot, keep);
            }
        }
        return x.MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' WanMidBlock: residual block, then (attention, residual block) once.</summary>
public sealed class WanMidBlock : WanVaeLayer
{
    readonly ModuleList<WanAttentionBlock> attentions;
    readonly ModuleList<WanResidualBlock> resnets;

    public WanMidBlock(long dim, Device? device = null) : base(nameof(WanMidBlock))
    {
        attentions = ModuleList(new WanAttentionBlock(dim, device));
        resnets = ModuleList(new WanResidualBlock(dim, dim, device), new WanResidualBlock(dim, dim, device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, WanVaeCache cache)
    {
        using var scope = NewDisposeScope();
        var y = WanVaeCache.Step(resnets[0].forward(x, cache), r => attentions[0].forward(r, cache));
        return WanVaeCache.Step(y, a => resnets[1].forward(a, cache)).MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers' WanUpBlock: num_res_blocks + 1 residual blocks, then an optional upsampler (<c>upsamplers.0</c>).
/// The decoder runs its <see cref="Layers"/> itself, so that each layer's input is freed as soon as that layer is done
/// (the block's own input included: at full resolution it is one of the largest tensors).</summary>
public sealed class WanUpBlock : Module
{
    readonly ModuleList<WanResidualBlock> resnets;
    readonly ModuleList<WanResample>? upsamplers;

    public WanUpBlock(long inDim, long outDim, int numResBlocks, string? upsampleMode, Device? device = null) : base(nameof(WanUpBlock))
    {
        resnets = ModuleList(Enumerable.Range(0, numResBlocks + 1).Select(i => new WanResidualBlock(i == 0 ? inDim : outDim, outDim, device)).ToArray());
        if (upsampleMode is not null) upsamplers = ModuleList(new WanResample(outDim, upsampleMode, device: device));
        RegisterComponents();
    }

    public IEnumerable<WanVaeLayer> Layers => resnets.Cast<WanVaeLayer>().Concat(upsamplers ?? Enumerable.Empty<WanVaeLayer>());
}
