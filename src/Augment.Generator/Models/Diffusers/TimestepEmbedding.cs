using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Diffusers;

/// <summary>diffusers' Timesteps + TimestepEmbedding: sinusoidal features of t (the timestep value, σ·1000), then
/// <c>linear_1</c> → SiLU → <c>linear_2</c>.</summary>
public sealed class TimestepEmbedding : Module<Tensor, Tensor>
{
    readonly LoraLinear linear_1;
    readonly LoraLinear linear_2;

    public TimestepEmbedding(long inChannels, long embedDim, Device? device = null) : base(nameof(TimestepEmbedding))
    {
        linear_1 = new LoraLinear(inChannels, embedDim, device: device);
        linear_2 = new LoraLinear(embedDim, embedDim, device: device);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // As diffusers: the float32 features are cast to the embedder's dtype (bf16 weights take bf16 input).
        using var input = x.to(linear_1.Dtype);
        using var hidden = linear_1.forward(input);
        using var act = functional.silu(hidden);
        return linear_2.forward(act);
    }

    /// <summary>
    /// get_timestep_embedding in float32: t·exp(−ln(max_period)·i/(half − shift)) for i &lt; half, as [sin, cos], or
    /// [cos, sin] with <paramref name="flipSinToCos"/>; odd dims get a zero column.
    /// </summary>
    public static Tensor Sinusoidal(Tensor timesteps, int dim, bool flipSinToCos, double downscaleFreqShift, double maxPeriod = 10000)
    {
        if (timesteps.dim() != 1) throw new ArgumentException($"timesteps must be 1-D, got [{string.Join(",", timesteps.shape)}]");
        using var scope = NewDisposeScope();
        int half = dim / 2;
        var exponent = HeldScalars.Arange(0, half, 1, ScalarType.Float32, timesteps.device).Times((float)-Math.Log(maxPeriod));
        var freqs = exp(exponent.DividedBy((float)(half - downscaleFreqShift)));
        var args = timesteps.to(ScalarType.Float32).unsqueeze(1) * freqs.unsqueeze(0);
        var emb = flipSinToCos ? cat([cos(args), sin(args)], 1) : cat([sin(args), cos(args)], 1);
        if (dim % 2 == 1) emb = functional.pad(emb, [0, 1, 0, 0]);
        return emb.MoveToOuterDisposeScope();
    }
}
