using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Native;

/// <summary>
/// A linear layer that can carry a LoRA update: y = W x + b + (alpha/rank)·B(A x). A and B exist only once
/// <see cref="EnableLora"/> is called; B starts at zero so a fresh adapter changes nothing.
/// </summary>
public sealed class AdaptableLinear : Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly Parameter bias;
    Parameter? lora_a;
    Parameter? lora_b;
    double loraScale;

    public AdaptableLinear(int inFeatures, int outFeatures, string name = "linear") : base(name)
    {
        // Same init as torch.nn.Linear (kaiming-uniform bound 1/sqrt(fan_in)).
        var bound = 1.0 / Math.Sqrt(inFeatures);
        weight = Parameter(empty(outFeatures, inFeatures).uniform_(-bound, bound));
        bias = Parameter(empty(outFeatures).uniform_(-bound, bound));
        RegisterComponents();
    }

    /// <summary>Zero weight and bias: the adaLN-Zero start, where a block begins as the identity.</summary>
    public void ZeroInit()
    {
        using var _ = no_grad();
        weight.zero_();
        bias.zero_();
    }
    public bool HasLora => lora_a is not null;

    public void EnableLora(int rank, double alpha)
    {
        if (HasLora) throw new InvalidOperationException($"{GetName()} already has a LoRA adapter");
        var inFeatures = weight.shape[1];
        var bound = 1.0 / Math.Sqrt(inFeatures);
        lora_a = Parameter(empty(rank, inFeatures).uniform_(-bound, bound));
        lora_b = Parameter(zeros(weight.shape[0], rank));
        register_parameter("lora_a", lora_a);
        register_parameter("lora_b", lora_b);
        loraScale = alpha / rank;
    }

    public override Tensor forward(Tensor x)
    {
        var y = functional.linear(x, weight, bias);
        if (lora_a is null || lora_b is null) return y;
        using var down = functional.linear(x, lora_a);
        return y.PlusInPlace(functional.linear(down, lora_b).Times(loraScale));
    }
}
