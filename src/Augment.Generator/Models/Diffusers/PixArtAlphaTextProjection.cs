using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Diffusers;

/// <summary>diffusers' PixArtAlphaTextProjection with act_fn "gelu_tanh": <c>linear_1</c> → GELU(tanh) → <c>linear_2</c>.</summary>
public sealed class PixArtAlphaTextProjection : Module<Tensor, Tensor>
{
    readonly LoraLinear linear_1;
    readonly LoraLinear linear_2;

    public PixArtAlphaTextProjection(long inFeatures, long hiddenSize, Device? device = null) : base(nameof(PixArtAlphaTextProjection))
    {
        linear_1 = new LoraLinear(inFeatures, hiddenSize, device: device);
        linear_2 = new LoraLinear(hiddenSize, hiddenSize, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = linear_1.forward(x);
        using var act = functional.gelu(hidden, TorchSharp.Modules.GELU.Approximate.tanh);
        return linear_2.forward(act);
    }
}
