using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Diffusers;

/// <summary>
/// torch.nn.Linear (parameters <c>weight</c> [out,in], <c>bias</c> [out]) that can carry a PEFT LoRA adapter the way
/// PEFT wraps it: <c>lora_A.weight</c> [r,in] and <c>lora_B.weight</c> [out,r], y = W x + b + (alpha/r)·B(A x).
/// Every linear layer of the diffusers ports is one, so a LoRA file may target any of them (PEFT's target_modules).
/// </summary>
public sealed class LoraLinear : Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter? bias;
    Linear? lora_A;
    Linear? lora_B;

    /// <param name="device">Where the parameters are made; the meta device builds a full-size model without memory.</param>
    public LoraLinear(long inFeatures, long outFeatures, bool hasBias = true, Device? device = null) : base(nameof(LoraLinear))
    {
        // torch.nn.Linear's init: kaiming-uniform(a=√5), which is U(±1/√in) for the weight and the bias alike.
        var bound = 1.0 / Math.Sqrt(inFeatures);
        weight = Parameter(empty(outFeatures, inFeatures, device: device).uniform_(-bound, bound));
        if (hasBias) bias = Parameter(empty(outFeatures, device: device).uniform_(-bound, bound));
        RegisterComponents();
    }

    public long InFeatures => weight.shape[1];
    public long OutFeatures => weight.shape[0];
    public Parameter Weight => weight;
    public ScalarType Dtype => weight.dtype;
    public bool HasAdapter => lora_A is not null;
    public int Rank => (int)(lora_A?.weight!.shape[0] ?? 0);
    /// <summary>alpha / r.</summary>
    public double Scale { get; private set; }

    /// <summary>Adds a rank-r adapter with PEFT's initialisation (A kaiming-uniform, B = 0: the layer is unchanged),
    /// on the weight's device, in float32 whatever the base's dtype (the adapter is what trains). A is drawn on the CPU
    /// from <paramref name="generator"/> (the training seed), so the start is the same on any device and in any test order.</summary>
    public void AddAdapter(int rank, double alpha, torch.Generator? generator = null)
    {
        if (HasAdapter) throw new InvalidOperationException($"{GetName()} already has a LoRA adapter");
        if (rank < 1) throw new ArgumentException($"LoRA rank must be at least 1, not {rank}");
        lora_A = Linear(InFeatures, rank, hasBias: false, device: weight.device);
        lora_B = Linear(rank, OutFeatures, hasBias: false, device: weight.device);
        using (no_grad())
        {
            // PEFT's kaiming-uniform(a=√5) for A: U(±1/√in).
            var bound = 1.0 / Math.Sqrt(InFeatures);
            using var a = empty(rank, InFeatures).uniform_(-bound, bound, generator: generator);
            lora_A.weight!.copy_(a);
            lora_B.weight!.zero_();
        }
        register_module("lora_A", lora_A);
        register_module("lora_B", lora_B);
        Scale = alpha / rank;
    }

    /// <summary>W += scale·B·A, in place (the adapter itself is not part of this layer: merging reads it from a file).</summary>
    public void MergeInto(Tensor a, Tensor b, double scale)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using Scalar s = scale;
        var delta = matmul(b.to(ScalarType.Float32, weight.device), a.to(ScalarType.Float32, weight.device)).mul_(s);
        weight.PlusInPlace(delta.to(weight.dtype));
    }

    public override Tensor forward(Tensor x)
    {
        var y = functional.linear(x, weight, bias);
        if (lora_A is null || lora_B is null) return y;
        using var down = lora_A.forward(x.to(lora_A.weight!.dtype));
        using var up = lora_B.forward(down);
        using Scalar scale = Scale;
        return y.PlusInPlace(up.mul_(scale).to(y.dtype));
    }
}
