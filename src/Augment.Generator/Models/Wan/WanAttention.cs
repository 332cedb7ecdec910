using Augment.Generator.Models.Diffusers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// diffusers' WanAttention with WanAttnProcessor (text-to-video: no added image k/v): q, k, v projections, RMSNorm of
/// q and k over the whole inner dim (all heads at once, "rms_norm_across_heads"), then the split into heads, RoPE on
/// q and k (self-attention only), attention with scale 1/√head_dim, and <c>to_out.0</c> (<c>to_out.1</c> is dropout).
/// </summary>
public sealed class WanAttention : Module<Tensor, Tensor?, (Tensor Cos, Tensor Sin)?, Tensor>
{
    readonly LoraLinear to_q, to_k, to_v;
    readonly ModuleList<LoraLinear> to_out;
    readonly RmsNorm norm_q, norm_k;
    readonly int heads;

    public WanAttention(int dim, int heads, int headDim, double eps, Device? device = null) : base(nameof(WanAttention))
    {
        this.heads = heads;
        int inner = heads * headDim;
        to_q = new LoraLinear(dim, inner, device: device);
        to_k = new LoraLinear(dim, inner, device: device);
        to_v = new LoraLinear(dim, inner, device: device);
        to_out = ModuleList(new LoraLinear(inner, dim, device: device));
        norm_q = new RmsNorm(inner, eps, device);
        norm_k = new RmsNorm(inner, eps, device);
        RegisterComponents();
    }

    /// <param name="x">[B,S,dim]</param>
    /// <param name="context">the text tokens for cross-attention [B,L,dim]; null for self-attention</param>
    /// <param name="rope">cos/sin tables from <see cref="WanRotaryPosEmbed"/>, or null (cross-attention)</param>
    public override Tensor forward(Tensor x, Tensor? context, (Tensor Cos, Tensor Sin)? rope)
    {
        using var scope = NewDisposeScope();
        var kv = context ?? x;
        var q = norm_q.forward(to_q.forward(x)).unflatten(2, [heads, -1]);
        var k = norm_k.forward(to_k.forward(kv)).unflatten(2, [heads, -1]);
        var v = to_v.forward(kv).unflatten(2, [heads, -1]);
        if (rope is var (cos, sin))
        {
            q = WanRotaryPosEmbed.Apply(q, cos, sin);
            k = WanRotaryPosEmbed.Apply(k, cos, sin);
        }
        var attended = functional.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2));
        var merged = attended.transpose(1, 2).flatten(2, 3).to(q.dtype);
        return to_out[0].forward(merged).MoveToOuterDisposeScope();
    }
}
