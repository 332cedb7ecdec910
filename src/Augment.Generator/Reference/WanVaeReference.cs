using Augment.Data.Weights;
using Augment.Generator.Models.Diffusers;
using Augment.Generator.Models.Wan;
using static TorchSharp.torch;

namespace Augment.Generator.Reference;

/// <summary><c>wan-vae</c> for `augment models forward`: <c>latent_mean</c> and <c>latent_logvar</c> of encode(<c>sample</c>)
/// and <c>output</c> = decode(<c>latent</c>), fp32, on the official chunked schedule; with the case's tiling, spatially
/// tiled as diffusers' enable_tiling() does.</summary>
public sealed class WanVaeReference : IReferenceModel
{
    public string Name => "wan-vae";

    public IReadOnlyDictionary<string, Tensor> Run(ReferenceCase c)
    {
        if (c.Lora is not null || c.Grads) throw new ArgumentException("wan-vae takes neither --lora nor --grads");
        if (c.Weights is null) throw new ArgumentException("wan-vae needs --weights (the VAE's state dict)");
        using var model = new AutoencoderKLWan(AutoencoderKLWanConfig.FromJson(c.Model, "--config"));
        StateDictLoader.Load(model, c.Weights);
        if (c.Tiling is not null) model.Tiling = VaeTiling.FromJson(c.Tiling, "tiling");
        model.eval();
        using var _ = no_grad();
        using var sample = c.Input("sample").to(ScalarType.Float32);
        using var latent = c.Input("latent").to(ScalarType.Float32);
        var (mean, logvar) = model.Encode(sample);
        return new Dictionary<string, Tensor> { ["latent_mean"] = mean, ["latent_logvar"] = logvar, ["output"] = model.Decode(latent) };
    }
}
