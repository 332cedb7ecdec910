using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// Wan's 3D RoPE: the head dim splits into t = d − 4⌊d/6⌋ and h = w = 2⌊d/6⌋ channels, each a 1-D RoPE (θ = 10⁴) over
/// its patch coordinate. Tables are computed in float64 and stored as float32, as diffusers does; only the rows the clip
/// needs are made (diffusers precomputes rope_max_seq_len rows, which is only a bound here).
/// </summary>
public sealed class WanRotaryPosEmbed(int headDim, int[] patchSize, int maxSeqLen, double theta = 10000.0)
{
    readonly int hDim = 2 * (headDim / 6);
    int TDim => headDim - 2 * hDim;

    /// <summary>cos and sin, each [1, F'·H'·W', 1, d/2] float32 (one value per rotated pair), tokens in (f,h,w) order.</summary>
    public (Tensor Cos, Tensor Sin) Forward(long frames, long height, long width, Device device)
    {
        long f = frames / patchSize[0], h = height / patchSize[1], w = width / patchSize[2];
        if (f > maxSeqLen || h > maxSeqLen || w > maxSeqLen)
            throw new ArgumentException($"the latent grid {f}×{h}×{w} exceeds rope_max_seq_len {maxSeqLen}");
        using var scope = NewDisposeScope();
        var angles = cat([
            Angles(TDim, f).view(f, 1, 1, -1).expand(f, h, w, -1),
            Angles(hDim, h).view(1, h, 1, -1).expand(f, h, w, -1),
            Angles(hDim, w).view(1, 1, w, -1).expand(f, h, w, -1),
        ], -1).reshape(1, f * h * w, 1, -1);
        var c = angles.cos().to(ScalarType.Float32, device);
        var s = angles.sin().to(ScalarType.Float32, device);
        return (c.MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());

        // positions × 1/θ^(2i/dim), float64
        Tensor Angles(int dim, long positions) =>
            outer(HeldScalars.Arange(0, positions, 1, ScalarType.Float64), pow(theta, HeldScalars.Arange(0, dim, 2, ScalarType.Float64).DividedBy(dim)).reciprocal());
    }

    /// <summary>Rotates each pair (x[2i], x[2i+1]) of x [B,S,heads,d] by the table's angle.</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        var pairs = x.unflatten(x.dim() - 1, [-1, 2]);
        var x1 = pairs.select(-1, 0);
        var x2 = pairs.select(-1, 1);
        var rotated = stack([x1 * cos - x2 * sin, (x1 * sin).Plus(x2 * cos)], -1).flatten(-2);
        return rotated.to(x.dtype).MoveToOuterDisposeScope();
    }
}
