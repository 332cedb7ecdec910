using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Diffusers;

/// <summary>diffusers' FP32LayerNorm: layer norm over the last dimension computed in float32 whatever the input's dtype,
/// with an optional affine (<c>weight</c>, <c>bias</c>).</summary>
public sealed class FP32LayerNorm : Module<Tensor, Tensor>
{
    readonly Parameter? weight;
    readonly Parameter? bias;
    readonly long dim;
    readonly double eps;

    public FP32LayerNorm(long dim, double eps, bool elementwiseAffine, Device? device = null) : base(nameof(FP32LayerNorm))
    {
        this.dim = dim;
        this.eps = eps;
        if (elementwiseAffine)
        {
            weight = Parameter(ones(dim, device: device));
            bias = Parameter(zeros(dim, device: device));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = functional.layer_norm(x.to(ScalarType.Float32), [dim], weight?.to(ScalarType.Float32), bias?.to(ScalarType.Float32), eps);
        return y.to(x.dtype).MoveToOuterDisposeScope();
    }
}
