using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Native;

/// <summary>Sinusoidal features of t ∈ [0,1] followed by an MLP.</summary>
public sealed class TimestepEmbedder : Module<Tensor, Tensor>
{
    readonly int frequencies;
    readonly Sequential mlp;

    public TimestepEmbedder(int dim, int frequencies = 128) : base(nameof(TimestepEmbedder))
    {
        this.frequencies = frequencies;
        mlp = Sequential(Linear(frequencies, dim), SiLU(), Linear(dim, dim));
        RegisterComponents();
    }

    public override Tensor forward(Tensor t)
    {
        using var scope = NewDisposeScope();
        var half = frequencies / 2;
        // t is scaled by 1000 as in DiT, so the frequency range matches integer diffusion steps.
        var freqs = exp(HeldScalars.Arange(0, half, 1, ScalarType.Float32, t.device).Times(-Math.Log(10000) / half));
        var args = t.to(ScalarType.Float32).Times(1000).unsqueeze(1) * freqs.unsqueeze(0);
        return mlp.forward(cat(new[] { cos(args), sin(args) }, 1)).MoveToOuterDisposeScope();
    }
}
