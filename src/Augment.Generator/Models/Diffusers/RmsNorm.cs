using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Diffusers;

/// <summary>torch.nn.RMSNorm over the last dimension (TorchSharp 0.107 has none): x·rsqrt(mean(x²)+eps)·weight.</summary>
public sealed class RmsNorm : Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly double eps;

    public RmsNorm(long dim, double eps, Device? device = null) : base(nameof(RmsNorm))
    {
        this.eps = eps;
        weight = Parameter(ones(dim, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        using Scalar e = eps;
        var normed = x * rsqrt(x.pow(HeldScalars.Two).mean([-1L], keepdim: true).add_(e, HeldScalars.One));
        return normed.mul_(weight).MoveToOuterDisposeScope();
    }
}
