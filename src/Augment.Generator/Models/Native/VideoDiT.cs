using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;
using TorchSharp;

namespace Augment.Generator.Models.Native;

/// <summary>
/// A compact spatio-temporal diffusion transformer over the autoencoder's latents: Conv3d patch embedding
/// (stride = patch), learned position embedding, DiT blocks with joint space-time attention conditioned (adaLN-Zero) on
/// timestep + prompt, and a zero-initialised final layer that unpatchifies into a clean-latent estimate x̂0. The network
/// predicts x̂0 and returns the velocity v = (x_t − x̂0)/t (x-prediction, as "Back to Basics" / JiT recommend for small
/// models: the clean latent is easy to learn, the noise part of v is then exact), so training still uses the velocity
/// loss and the samplers see a plain velocity model.
/// Input/output: normalised latents [B,C,T',H',W'] (see <see cref="NativeModelConfig.LatentShape"/>); t: [B] in [0,1];
/// prompt bags: [B, buckets].
/// </summary>
public sealed class VideoDiT : Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly NativeModelConfig config;
    readonly Conv3d patch_embed;
    readonly Parameter pos_embed;
    readonly TimestepEmbedder t_embed;
    readonly PromptEncoder prompt;
    readonly ModuleList<DiTBlock> blocks;
    readonly LayerNorm final_norm;
    readonly AdaptableLinear final_adaLN;
    readonly Linear final_linear;

    public VideoDiT(NativeModelConfig config) : base(nameof(VideoDiT))
    {
        config.Validate();
        this.config = config;
        int d = config.Dim;
        patch_embed = Conv3d(config.LatentChannels, d, kernel_size: (config.PatchFrames, config.PatchSize, config.PatchSize),
            stride: (config.PatchFrames, config.PatchSize, config.PatchSize));
        using Scalar std = 0.02f;
        pos_embed = Parameter(randn(1, config.Tokens, d).mul_(std)); // in place, as in PromptEncoder
        t_embed = new TimestepEmbedder(d);
        prompt = new PromptEncoder(config.PromptBuckets, d);
        blocks = new ModuleList<DiTBlock>(Enumerable.Range(0, config.Depth).Select(_ => new DiTBlock(d, config.Heads, config.MlpRatio)).ToArray());
        final_norm = LayerNorm(d, eps: 1e-6, elementwise_affine: false);
        final_adaLN = new AdaptableLinear(d, 2 * d, "final_adaLN");
        final_linear = Linear(d, config.PatchValues);
        using (no_grad())
        {
            final_adaLN.ZeroInit();
            final_linear.weight!.zero_();
            final_linear.bias!.zero_();
        }
        RegisterComponents();
    }

    public NativeModelConfig Config => config;

    /// <summary>The LoRA-adaptable layers by target (q, k, v, out, mlp, mod) over all blocks and the final layer, and the
    /// prompt encoder's MLP (text).</summary>
    public IEnumerable<(string Target, AdaptableLinear Layer)> Adaptable =>
        blocks.SelectMany(b => b.Adaptable).Append(("mod", final_adaLN)).Concat(prompt.Adaptable.Select(l => ("text", l)));

    public override Tensor forward(Tensor x, Tensor t, Tensor promptBags)
    {
        using var scope = NewDisposeScope();
        var tokens = patch_embed.forward(x).flatten(2).transpose(1, 2).Plus(pos_embed); // [B,N,D]
        var c = t_embed.forward(t).Plus(prompt.forward(promptBags));
        foreach (var block in blocks) tokens = block.forward(tokens, c);
        var m = final_adaLN.forward(functional.silu(c)).unsqueeze(1).chunk(2, dim: 2);
        var patches = final_linear.forward(DiTBlock.Modulate(final_norm.forward(tokens), m[0], m[1]));
        var x0 = Unpatchify(patches);
        return ((x - x0) / t.ClampedMin(MinTime).reshape(-1, 1, 1, 1, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>Floor on t when turning x̂0 into a velocity, so the last sampling steps stay bounded.</summary>
    public const double MinTime = 0.05;

    /// <summary>[B, N, C·pt·p·p] → [B,C,T',H',W'].</summary>
    Tensor Unpatchify(Tensor patches)
    {
        long b = patches.shape[0];
        int c = config.LatentChannels, pt = config.PatchFrames, p = config.PatchSize;
        int gt = config.LatentFrames / pt, gh = config.LatentHeight / p, gw = config.LatentWidth / p;
        return patches.reshape(b, gt, gh, gw, c, pt, p, p)
            .permute(0, 4, 1, 5, 2, 6, 3, 7)
            .reshape([b, .. config.LatentShape]);
    }
}
