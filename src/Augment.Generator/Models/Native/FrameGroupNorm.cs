using Augment.Data.Numerics;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Native;

/// <summary>
/// GroupNorm over each frame on its own ([B,C,T,H,W] normalised per (B, T) over groups of C and H, W). A GroupNorm over
/// the whole clip would let later frames' statistics into earlier frames and break the autoencoder's causality.
/// </summary>
public sealed class FrameGroupNorm : Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.GroupNorm norm;

    public FrameGroupNorm(int channels, int groups = 4) : base(nameof(FrameGroupNorm))
    {
        norm = GroupNorms.Create(groups, channels);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], w = x.shape[4];
        var frames = x.transpose(1, 2).reshape(b * t, c, h, w);
        return norm.forward(frames).reshape(b, t, c, h, w).transpose(1, 2).MoveToOuterDisposeScope();
    }
}
