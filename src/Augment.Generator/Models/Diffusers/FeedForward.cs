using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Diffusers;

/// <summary>
/// diffusers' FeedForward with activation "gelu-approximate": <c>net.0</c> is GELU(tanh) with its projection
/// <c>net.0.proj</c>, <c>net.1</c> dropout (0 at inference, no parameters), <c>net.2</c> the output linear.
/// </summary>
public sealed class FeedForward : Module<Tensor, Tensor>
{
    readonly ModuleList<Module<Tensor, Tensor>> net;

    public FeedForward(long dim, long innerDim, Device? device = null) : base(nameof(FeedForward))
    {
        net = ModuleList<Module<Tensor, Tensor>>(new GeluProjection(dim, innerDim, device), Dropout(0.0), new LoraLinear(innerDim, dim, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var hidden = net[0].forward(x);
        return net[2].forward(hidden);
    }

    /// <summary>diffusers' GELU module: a linear <c>proj</c> then tanh-approximated GELU.</summary>
    sealed class GeluProjection : Module<Tensor, Tensor>
    {
        readonly LoraLinear proj;

        public GeluProjection(long dim, long innerDim, Device? device) : base("GELU")
        {
            proj = new LoraLinear(dim, innerDim, device: device);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var projected = proj.forward(x);
            return functional.gelu(projected, TorchSharp.Modules.GELU.Approximate.tanh);
        }
    }
}
