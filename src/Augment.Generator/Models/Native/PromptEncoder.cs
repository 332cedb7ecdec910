using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;
using TorchSharp;

namespace Augment.Generator.Models.Native;

/// <summary>
/// Word-level text encoder: the normalised bag of hashed words (see <see cref="PromptBag"/>) times an embedding table is
/// the mean of the word embeddings; an MLP maps it to the conditioning space. An all-zero bag selects a learned null
/// embedding, the unconditional branch of classifier-free guidance.
/// </summary>
public sealed class PromptEncoder : Module<Tensor, Tensor>
{
    readonly Parameter words;
    readonly Parameter null_prompt;
    readonly AdaptableLinear fc1, fc2;

    public PromptEncoder(int buckets, int dim) : base(nameof(PromptEncoder))
    {
        using Scalar half = 0.5f;
        words = Parameter(randn(buckets, dim).mul_(half)); // in place: a temporary made outside a scope must not be a call's receiver
        null_prompt = Parameter(zeros(dim));
        fc1 = new AdaptableLinear(dim, dim, "fc1");
        fc2 = new AdaptableLinear(dim, dim, "fc2");
        RegisterComponents();
    }

    /// <summary>The MLP's layers, LoRA-adaptable (target "text"), so an adapter can separate prompts the base never saw.</summary>
    public IEnumerable<AdaptableLinear> Adaptable => [fc1, fc2];

    /// <summary>bags: [B, buckets] → [B, D].</summary>
    public override Tensor forward(Tensor bags)
    {
        using var scope = NewDisposeScope();
        var isNull = bags.sum(1, keepdim: true).eq(HeldScalars.Zero);
        var encoded = fc2.forward(functional.silu(fc1.forward(matmul(bags, words))));
        return where(isNull, null_prompt.unsqueeze(0), encoded).MoveToOuterDisposeScope();
    }
}
