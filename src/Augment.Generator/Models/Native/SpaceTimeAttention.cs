using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Native;

/// <summary>Joint space-time multi-head self-attention over all patch tokens of a clip; q, k, v, out are LoRA-adaptable.</summary>
public sealed class SpaceTimeAttention : Module<Tensor, Tensor>
{
    readonly AdaptableLinear q, k, v, @out;
    readonly int heads;

    public SpaceTimeAttention(int dim, int heads) : base(nameof(SpaceTimeAttention))
    {
        this.heads = heads;
        q = new AdaptableLinear(dim, dim, "q");
        k = new AdaptableLinear(dim, dim, "k");
        v = new AdaptableLinear(dim, dim, "v");
        @out = new AdaptableLinear(dim, dim, "out");
        RegisterComponents();
    }

    /// <summary>The projections by target name (q, k, v, out), for LoRA.</summary>
    public IReadOnlyDictionary<string, AdaptableLinear> Projections => new Dictionary<string, AdaptableLinear>
    {
        ["q"] = q, ["k"] = k, ["v"] = v, ["out"] = @out,
    };

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], n = x.shape[1], d = x.shape[2];
        Tensor Heads(Tensor t) => t.view(b, n, heads, d / heads).transpose(1, 2);
        var attended = functional.scaled_dot_product_attention(Heads(q.forward(x)), Heads(k.forward(x)), Heads(v.forward(x)));
        return @out.forward(attended.transpose(1, 2).reshape(b, n, d)).MoveToOuterDisposeScope();
    }
}
