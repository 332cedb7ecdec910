using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Model;

/// <summary>
/// Transformer block with adaLN-Zero: the conditioning vector gives shift, scale and gate for the attention and MLP
/// branches; the modulation starts at zero so every block starts as the identity.
/// </summary>
public sealed class DiTBlock : Module<Tensor, Tensor, Tensor>
{
    readonly LayerNorm norm1, norm2;
    readonly SpaceTimeAttention attn;
    readonly Sequential mlp;
    readonly Linear adaLN;

    public DiTBlock(int dim, int heads, int mlpRatio) : base(nameof(DiTBlock))
    {
        norm1 = LayerNorm(dim, eps: 1e-6, elementwise_affine: false);
        norm2 = LayerNorm(dim, eps: 1e-6, elementwise_affine: false);
        attn = new SpaceTimeAttention(dim, heads);
        mlp = Sequential(Linear(dim, dim * mlpRatio), GELU(), Linear(dim * mlpRatio, dim));
        adaLN = Linear(dim, 6 * dim);
        using (no_grad()) { adaLN.weight!.zero_(); adaLN.bias!.zero_(); }
        RegisterComponents();
    }

    public SpaceTimeAttention Attention => attn;

    /// <summary>x: [B,N,D] tokens; c: [B,D] conditioning.</summary>
    public override Tensor forward(Tensor x, Tensor c)
    {
        using var scope = NewDisposeScope();
        var m = adaLN.forward(functional.silu(c)).unsqueeze(1).chunk(6, dim: 2);
        var h = x + m[2] * attn.forward(Modulate(norm1.forward(x), m[0], m[1]));
        h = h + m[5] * mlp.forward(Modulate(norm2.forward(h), m[3], m[4]));
        return h.MoveToOuterDisposeScope();
    }

    internal static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => x * (scale + 1) + shift;
}
