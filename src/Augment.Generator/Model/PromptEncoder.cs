using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Model;

/// <summary>
/// Word-level text encoder: the normalised bag of hashed words (see <see cref="PromptBag"/>) times an embedding table is
/// the mean of the word embeddings; an MLP maps it to the conditioning space. An all-zero bag selects a learned null
/// embedding, the unconditional branch of classifier-free guidance.
/// </summary>
public sealed class PromptEncoder : Module<Tensor, Tensor>
{
    readonly Parameter words;
    readonly Parameter null_prompt;
    readonly Sequential mlp;

    public PromptEncoder(int buckets, int dim) : base(nameof(PromptEncoder))
    {
        words = Parameter(randn(buckets, dim) * 0.5f);
        null_prompt = Parameter(zeros(dim));
        mlp = Sequential(Linear(dim, dim), SiLU(), Linear(dim, dim));
        RegisterComponents();
    }

    /// <summary>bags: [B, buckets] → [B, D].</summary>
    public override Tensor forward(Tensor bags)
    {
        using var scope = NewDisposeScope();
        var isNull = bags.sum(1, keepdim: true).eq(0);
        var encoded = mlp.forward(matmul(bags, words));
        return where(isNull, null_prompt.unsqueeze(0), encoded).MoveToOuterDisposeScope();
    }
}
