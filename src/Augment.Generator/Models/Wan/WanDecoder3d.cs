using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Wan;

/// <summary>diffusers' WanDecoder3d (Wan2.1): causal conv_in, mid block, up blocks (the encoder's levels reversed; each
/// upsampler halves the width, time-upsampling where the encoder's temperal_downsample, reversed, says), RMS norm,
/// SiLU, causal conv_out.</summary>
public sealed class WanDecoder3d : Module<Tensor, WanVaeCache, Tensor>
{
    readonly WanCausalConv3d conv_in;
    readonly WanMidBlock mid_block;
    readonly ModuleList<WanUpBlock> up_blocks;
    readonly WanRmsNorm norm_out;
    readonly WanCausalConv3d conv_out;

    public WanDecoder3d(AutoencoderKLWanConfig c, Device? device = null) : base(nameof(WanDecoder3d))
    {
        int dim = c.DecoderBaseDim ?? c.BaseDim;
        var mult = c.DimMult;
        var dims = new[] { mult[^1] }.Concat(mult.Reverse()).Select(u => (long)dim * u).ToArray();
        var temperalUpsample = c.TemperalDownsample.Reverse().ToArray();
        conv_in = new WanCausalConv3d(c.ZDim, dims[0], 3, 1, device);
        mid_block = new WanMidBlock(dims[0], device);
        var blocks = new List<WanUpBlock>();
        for (int i = 0; i < mult.Length; i++)
        {
            long inDim = i > 0 ? dims[i] / 2 : dims[i], outDim = dims[i + 1];
            bool up = i != mult.Length - 1;
            string? mode = up ? (temperalUpsample[i] ? "upsample3d" : "upsample2d") : null;
            blocks.Add(new WanUpBlock(inDim, outDim, c.NumResBlocks, mode, device));
        }
        up_blocks = ModuleList(blocks.ToArray());
        norm_out = new WanRmsNorm(dims[^1], images: false, device);
        conv_out = new WanCausalConv3d(dims[^1], c.OutChannels, 3, 1, device);
        RegisterComponents();
    }

    /// <summary>One latent frame (the cache carries the previous ones).</summary>
    public override Tensor forward(Tensor x, WanVaeCache cache)
    {
        using var scope = NewDisposeScope();
        // Each stage's output is freed once the next stage has it: only one stage's tensors are alive at a time.
        var y = WanVaeCache.Step(cache.CausalConv(conv_in, x), t => mid_block.forward(t, cache));
        foreach (var layer in up_blocks.SelectMany(b => b.Layers)) y = WanVaeCache.Step(y, t => layer.forward(t, cache));
        y = WanVaeCache.Step(y, t => norm_out.forward(t).silu_());
        return WanVaeCache.Step(y, t => cache.CausalConv(conv_out, t)).MoveToOuterDisposeScope();
    }
}
