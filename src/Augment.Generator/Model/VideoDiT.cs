using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Model;

/// <summary>
/// A compact spatio-temporal diffusion transformer in pixel space: Conv3d patch embedding (stride = patch), learned
/// position embedding, DiT blocks with joint space-time attention conditioned (adaLN-Zero) on timestep + prompt, and a
/// zero-initialised final layer that unpatchifies into a clean-clip estimate x̂0 (plus a zero-initialised residual
/// 3×3×3 convolution that smooths patch seams). The network predicts x̂0 and returns the
/// velocity v = (x_t − x̂0)/t (x-prediction, as "Back to Basics" / JiT recommend for pixel-space models: the clean clip
/// is low-dimensional and easy for a small model, the noise part of v is then exact), so training still uses the
/// velocity loss and the samplers and the ONNX contract see a plain velocity model.
/// Input/output: [B,3,T,H,W] in [-1,1] pixel units; t: [B] in [0,1]; prompt bags: [B, buckets].
/// </summary>
public sealed class VideoDiT : Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly ModelConfig config;
    readonly Conv3d patch_embed;
    readonly Parameter pos_embed;
    readonly TimestepEmbedder t_embed;
    readonly PromptEncoder prompt;
    readonly ModuleList<DiTBlock> blocks;
    readonly LayerNorm final_norm;
    readonly Linear final_adaLN;
    readonly Linear final_linear;
    readonly Conv3d refine;

    public VideoDiT(ModelConfig config) : base(nameof(VideoDiT))
    {
        config.Validate();
        this.config = config;
        int d = config.Dim;
        patch_embed = Conv3d(3, d, kernel_size: (config.PatchFrames, config.PatchSize, config.PatchSize),
            stride: (config.PatchFrames, config.PatchSize, config.PatchSize));
        pos_embed = Parameter(randn(1, config.Tokens, d) * 0.02f);
        t_embed = new TimestepEmbedder(d);
        prompt = new PromptEncoder(config.PromptBuckets, d);
        blocks = new ModuleList<DiTBlock>(Enumerable.Range(0, config.Depth).Select(_ => new DiTBlock(d, config.Heads, config.MlpRatio)).ToArray());
        final_norm = LayerNorm(d, eps: 1e-6, elementwise_affine: false);
        final_adaLN = Linear(d, 2 * d);
        final_linear = Linear(d, config.PatchValues);
        // A 3×3×3 residual convolution over the unpatchified clip lets neighbouring patches agree at their seams.
        refine = Conv3d(3, 3, kernel_size: 3, padding: 1);
        using (no_grad())
        {
            foreach (var zeroed in new[] { final_adaLN, final_linear }) { zeroed.weight!.zero_(); zeroed.bias!.zero_(); }
            refine.weight!.zero_();
            refine.bias!.zero_();
        }
        RegisterComponents();
    }

    public ModelConfig Config => config;
    public IEnumerable<SpaceTimeAttention> Attentions => blocks.Select(b => b.Attention);

    public override Tensor forward(Tensor x, Tensor t, Tensor promptBags)
    {
        using var scope = NewDisposeScope();
        var tokens = patch_embed.forward(x).flatten(2).transpose(1, 2) + pos_embed; // [B,N,D]
        var c = t_embed.forward(t) + prompt.forward(promptBags);
        foreach (var block in blocks) tokens = block.forward(tokens, c);
        var m = final_adaLN.forward(functional.silu(c)).unsqueeze(1).chunk(2, dim: 2);
        var patches = final_linear.forward(DiTBlock.Modulate(final_norm.forward(tokens), m[0], m[1]));
        var coarse = Unpatchify(patches);
        var x0 = coarse + refine.forward(coarse);
        return ((x - x0) / t.clamp_min(MinTime).reshape(-1, 1, 1, 1, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>Floor on t when turning x̂0 into a velocity, so the last sampling steps stay bounded.</summary>
    public const double MinTime = 0.05;

    /// <summary>[B, N, 3·pt·p·p] → [B,3,T,H,W].</summary>
    Tensor Unpatchify(Tensor patches)
    {
        long b = patches.shape[0];
        int pt = config.PatchFrames, p = config.PatchSize;
        int gt = config.Frames / pt, gh = config.Height / p, gw = config.Width / p;
        return patches.reshape(b, gt, gh, gw, 3, pt, p, p)
            .permute(0, 4, 1, 5, 2, 6, 3, 7)
            .reshape(b, 3, config.Frames, config.Height, config.Width);
    }
}
