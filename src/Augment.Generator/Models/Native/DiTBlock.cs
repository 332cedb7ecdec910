using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Native;

/// <summary>
/// Transformer block with adaLN-Zero: the conditioning vector gives shift, scale and gate for the attention and MLP
/// branches; the modulation starts at zero so every block starts as the identity.
/// </summary>
public sealed class DiTBlock : Module<Tensor, Tensor, Tensor>
{
    readonly LayerNorm norm1, norm2;
    readonly SpaceTimeAttention attn;
    readonly AdaptableLinear fc1, fc2;
    readonly AdaptableLinear adaLN;

    public DiTBlock(int dim, int heads, int mlpRatio) : base(nameof(DiTBlock))
    {
        norm1 = LayerNorm(dim, eps: 1e-6, elementwise_affine: false);
        norm2 = LayerNorm(dim, eps: 1e-6, elementwise_affine: false);
        attn = new SpaceTimeAttention(dim, heads);
        fc1 = new AdaptableLinear(dim, dim * mlpRatio, "fc1");
        fc2 = new AdaptableLinear(dim * mlpRatio, dim, "fc2");
        adaLN = new AdaptableLinear(dim, 6 * dim, "adaLN");
        adaLN.ZeroInit();
        RegisterComponents();
    }

    /// <summary>The LoRA-adaptable layers by target: q, k, v, out (attention), mlp (both MLP layers), mod (adaLN).</summary>
    public IEnumerable<(string Target, AdaptableLinear Layer)> Adaptable =>
        attn.Projections.Select(p => (p.Key, p.Value)).Concat([("mlp", fc1), ("mlp", fc2), ("mod", adaLN)]);

    /// <summary>x: [B,N,D] tokens; c: [B,D] conditioning.</summary>
    public override Tensor forward(Tensor x, Tensor c)
    {
        using var scope = NewDisposeScope();
        var m = adaLN.forward(functional.silu(c)).unsqueeze(1).chunk(6, dim: 2);
        var h = x.Plus(m[2] * attn.forward(Modulate(norm1.forward(x), m[0], m[1])));
        h = h.Plus(m[5] * fc2.forward(functional.gelu(fc1.forward(Modulate(norm2.forward(h), m[3], m[4])))));
        return h.MoveToOuterDisposeScope();
    }

    internal static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => (x * scale.Plus(1)).Plus(shift);
}
