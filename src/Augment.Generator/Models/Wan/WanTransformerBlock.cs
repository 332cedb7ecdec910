using Augment.Generator.Models.Diffusers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// diffusers' WanTransformerBlock: adaLN-modulated self-attention (gated), cross-attention to the text (<c>norm2</c>
/// with affine when cross_attn_norm, residual not gated), adaLN-modulated FFN (gated). The modulation is
/// <c>scale_shift_table</c> [1,6,D] + the timestep projection, in the order shift, scale, gate, c_shift, c_scale, c_gate;
/// norms and modulation run in float32.
/// </summary>
public sealed class WanTransformerBlock : Module<Tensor, Tensor, Tensor, (Tensor Cos, Tensor Sin), Tensor>
{
    readonly FP32LayerNorm norm1;
    readonly WanAttention attn1;
    readonly WanAttention attn2;
    readonly FP32LayerNorm? norm2;
    readonly FeedForward ffn;
    readonly FP32LayerNorm norm3;
    readonly Parameter scale_shift_table;

    public WanTransformerBlock(WanTransformerConfig c, Device? device = null) : base(nameof(WanTransformerBlock))
    {
        int dim = c.InnerDim;
        norm1 = new FP32LayerNorm(dim, c.Eps, elementwiseAffine: false, device);
        attn1 = new WanAttention(dim, c.NumAttentionHeads, dim / c.NumAttentionHeads, c.Eps, device);
        attn2 = new WanAttention(dim, c.NumAttentionHeads, dim / c.NumAttentionHeads, c.Eps, device);
        if (c.CrossAttnNorm) norm2 = new FP32LayerNorm(dim, c.Eps, elementwiseAffine: true, device);
        ffn = new FeedForward(dim, c.FfnDim, device);
        norm3 = new FP32LayerNorm(dim, c.Eps, elementwiseAffine: false, device);
        using Scalar root = Math.Sqrt(dim);
        scale_shift_table = Parameter(randn(1, 6, dim, device: device).div_(root));
        RegisterComponents();
    }

    /// <param name="x">image tokens [B,S,D]</param>
    /// <param name="text">embedded text tokens [B,L,D]</param>
    /// <param name="timestepProj">[B,6,D]</param>
    public override Tensor forward(Tensor x, Tensor text, Tensor timestepProj, (Tensor Cos, Tensor Sin) rope)
    {
        using var scope = NewDisposeScope();
        var mod = scale_shift_table.Plus(timestepProj.to(ScalarType.Float32)).chunk(6, 1);
        Tensor shift = mod[0], scale = mod[1], gate = mod[2], cShift = mod[3], cScale = mod[4], cGate = mod[5];

        var h = (norm1.forward(x.to(ScalarType.Float32)) * scale.Plus(1)).Plus(shift).to(x.dtype);
        x = x.to(ScalarType.Float32).Plus(attn1.forward(h, null, rope) * gate).to(x.dtype);

        h = norm2 is null ? x : norm2.forward(x.to(ScalarType.Float32)).to(x.dtype);
        x = x.Plus(attn2.forward(h, text, null));

        h = (norm3.forward(x.to(ScalarType.Float32)) * cScale.Plus(1)).Plus(cShift).to(x.dtype);
        x = x.to(ScalarType.Float32).Plus(ffn.forward(h).to(ScalarType.Float32) * cGate).to(x.dtype);
        return x.MoveToOuterDisposeScope();
    }
}
