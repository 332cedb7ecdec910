using Augment.Generator.Models.Diffusers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// Port of diffusers' WanTransformer3DModel (Wan2.1 text-to-video), with its parameter names and shapes, so an
/// official <c>transformer/</c> checkpoint loads strictly: Conv3d patch embedding (kernel = stride = patch_size),
/// time/text embedding, <see cref="WanTransformerBlock"/>s with 3D RoPE, then <c>norm_out</c> modulated by
/// <c>scale_shift_table</c> [1,2,D] + temb (shift, scale), <c>proj_out</c> and unpatchify.
/// Input [B,C,F,H,W] latents, timesteps [B] (σ·1000), text [B,L,text_dim]; output the velocity [B,out,F,H,W].
/// </summary>
public sealed class WanTransformer3DModel : Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly Conv3d patch_embedding;
    readonly WanTimeTextEmbedding condition_embedder;
    readonly ModuleList<WanTransformerBlock> blocks;
    readonly FP32LayerNorm norm_out;
    readonly LoraLinear proj_out;
    readonly Parameter scale_shift_table;
    readonly WanRotaryPosEmbed rope;

    public WanTransformerConfig Config { get; }

    /// <summary>A base weight, for its dtype and device.</summary>
    public Tensor Weights => proj_out.Weight;

    /// <param name="device">where the parameters are made; <c>meta</c> builds any size without memory (names and shapes only)</param>
    public WanTransformer3DModel(WanTransformerConfig config, Device? device = null) : base(nameof(WanTransformer3DModel))
    {
        Config = config;
        int dim = config.InnerDim;
        var p = config.PatchSize;
        rope = new WanRotaryPosEmbed(config.AttentionHeadDim, p, config.RopeMaxSeqLen);
        patch_embedding = Conv3d(config.InChannels, dim, (p[0], p[1], p[2]), stride: (p[0], p[1], p[2]), device: device);
        condition_embedder = new WanTimeTextEmbedding(dim, config.FreqDim, config.TextDim, device);
        blocks = ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new WanTransformerBlock(config, device)).ToArray());
        norm_out = new FP32LayerNorm(dim, config.Eps, elementwiseAffine: false, device);
        proj_out = new LoraLinear(dim, (long)config.OutChannels * p[0] * p[1] * p[2], device: device);
        using Scalar root = Math.Sqrt(dim);
        scale_shift_table = Parameter(randn(1, 2, dim, device: device).div_(root));
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor timestep, Tensor encoderHiddenStates)
    {
        if (hiddenStates.dim() != 5 || hiddenStates.shape[1] != Config.InChannels)
            throw new ArgumentException($"hidden_states must be [B,{Config.InChannels},F,H,W], got [{string.Join(",", hiddenStates.shape)}]");
        if (encoderHiddenStates.dim() != 3 || encoderHiddenStates.shape[2] != Config.TextDim)
            throw new ArgumentException($"encoder_hidden_states must be [B,L,{Config.TextDim}], got [{string.Join(",", encoderHiddenStates.shape)}]");
        using var scope = NewDisposeScope();
        long b = hiddenStates.shape[0], frames = hiddenStates.shape[2], height = hiddenStates.shape[3], width = hiddenStates.shape[4];
        var p = Config.PatchSize;
        long f = frames / p[0], h = height / p[1], w = width / p[2];

        var ropeTables = rope.Forward(frames, height, width, hiddenStates.device);
        var x = patch_embedding.forward(hiddenStates).flatten(2).transpose(1, 2).contiguous();
        var (temb, timestepProj, text) = condition_embedder.forward(timestep, encoderHiddenStates);
        timestepProj = timestepProj.unflatten(1, [6, -1]);

        foreach (var block in blocks) x = block.forward(x, text, timestepProj, ropeTables);

        var mod = scale_shift_table.Plus(temb.unsqueeze(1)).chunk(2, 1);
        x = (norm_out.forward(x.to(ScalarType.Float32)) * mod[1].Plus(1)).Plus(mod[0]).to(x.dtype);
        x = proj_out.forward(x);
        var output = x.reshape(b, f, h, w, p[0], p[1], p[2], -1).permute(0, 7, 1, 4, 2, 5, 3, 6)
            .reshape(b, -1, f * p[0], h * p[1], w * p[2]);
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The linear layers by module path (blocks.0.attn1.to_q, …), for LoRA.</summary>
    public IReadOnlyDictionary<string, LoraLinear> Linears() =>
        named_modules().Where(m => m.module is LoraLinear).ToDictionary(m => m.name, m => (LoraLinear)m.module, StringComparer.Ordinal);
}
