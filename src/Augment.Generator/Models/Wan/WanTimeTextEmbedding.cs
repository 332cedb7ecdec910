using Augment.Generator.Models.Diffusers;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// diffusers' WanTimeTextImageEmbedding without the image branch: the timestep's [cos, sin] features → <c>time_embedder</c>
/// (temb), SiLU → <c>time_proj</c> (the six block modulations), and the text through <c>text_embedder</c>.
/// </summary>
public sealed class WanTimeTextEmbedding : Module<Tensor, Tensor, (Tensor Temb, Tensor TimestepProj, Tensor Text)>
{
    readonly TimestepEmbedding time_embedder;
    readonly LoraLinear time_proj;
    readonly PixArtAlphaTextProjection text_embedder;
    readonly int freqDim;

    public WanTimeTextEmbedding(int dim, int freqDim, int textDim, Device? device = null) : base(nameof(WanTimeTextEmbedding))
    {
        this.freqDim = freqDim;
        time_embedder = new TimestepEmbedding(freqDim, dim, device);
        time_proj = new LoraLinear(dim, 6L * dim, device: device);
        text_embedder = new PixArtAlphaTextProjection(textDim, dim, device);
        RegisterComponents();
    }

    public override (Tensor Temb, Tensor TimestepProj, Tensor Text) forward(Tensor timestep, Tensor text)
    {
        using var scope = NewDisposeScope();
        var features = TimestepEmbedding.Sinusoidal(timestep, freqDim, flipSinToCos: true, downscaleFreqShift: 0);
        var temb = time_embedder.forward(features).to(text.dtype);
        var proj = time_proj.forward(functional.silu(temb));
        var embedded = text_embedder.forward(text);
        return (temb.MoveToOuterDisposeScope(), proj.MoveToOuterDisposeScope(), embedded.MoveToOuterDisposeScope());
    }
}
