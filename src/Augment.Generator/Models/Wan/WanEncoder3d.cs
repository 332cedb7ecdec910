using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Wan;

/// <summary>diffusers' WanEncoder3d (Wan2.1): causal conv_in, residual blocks (with attention at attn_scales) and
/// down-resamples per level, mid block, RMS norm, SiLU, causal conv_out to 2·z channels (mean and log-variance).</summary>
public sealed class WanEncoder3d : Module<Tensor, WanVaeCache, Tensor>
{
    readonly WanCausalConv3d conv_in;
    readonly ModuleList<WanVaeLayer> down_blocks;
    readonly WanMidBlock mid_block;
    readonly WanRmsNorm norm_out;
    readonly WanCausalConv3d conv_out;

    public WanEncoder3d(AutoencoderKLWanConfig c, Device? device = null) : base(nameof(WanEncoder3d))
    {
        var dims = new[] { 1 }.Concat(c.DimMult).Select(u => (long)c.BaseDim * u).ToArray();
        conv_in = new WanCausalConv3d(c.InChannels, dims[0], 3, 1, device);
        var layers = new List<WanVaeLayer>();
        double scale = 1.0;
        for (int i = 0; i < c.DimMult.Length; i++)
        {
            long inDim = dims[i], outDim = dims[i + 1];
            for (int r = 0; r < c.NumResBlocks; r++)
            {
                layers.Add(new WanResidualBlock(inDim, outDim, device));
                if (c.AttnScales.Contains(scale)) layers.Add(new WanAttentionBlock(outDim, device));
                inDim = outDim;
            }
            if (i != c.DimMult.Length - 1)
            {
                layers.Add(new WanResample(outDim, c.TemperalDownsample[i] ? "downsample3d" : "downsample2d", device: device));
                scale /= 2.0;
            }
        }
        down_blocks = ModuleList(layers.ToArray());
        mid_block = new WanMidBlock(dims[^1], device);
        norm_out = new WanRmsNorm(dims[^1], images: false, device);
        conv_out = new WanCausalConv3d(dims[^1], 2L * c.ZDim, 3, 1, device);
        RegisterComponents();
    }

    /// <summary>One chunk of frames (the cache carries the previous chunks).</summary>
    public override Tensor forward(Tensor x, WanVaeCache cache)
    {
        using var scope = NewDisposeScope();
        var y = cache.CausalConv(conv_in, x);
        foreach (var layer in down_blocks) y = WanVaeCache.Step(y, t => layer.forward(t, cache));
        y = WanVaeCache.Step(y, t => mid_block.forward(t, cache));
        y = WanVaeCache.Step(y, t => norm_out.forward(t).silu_());
        return WanVaeCache.Step(y, t => cache.CausalConv(conv_out, t)).MoveToOuterDisposeScope();
    }
}
