using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Native;

/// <summary>Residual block of the video autoencoder: (per-frame GroupNorm → SiLU → causal conv) twice, plus the input.</summary>
public sealed class AutoencoderBlock : Module<Tensor, Tensor>
{
    readonly FrameGroupNorm norm1, norm2;
    readonly CausalConv3d conv1, conv2;

    public AutoencoderBlock(int channels, (int T, int H, int W) kernel) : base(nameof(AutoencoderBlock))
    {
        norm1 = new FrameGroupNorm(channels);
        norm2 = new FrameGroupNorm(channels);
        conv1 = new CausalConv3d(channels, channels, kernel);
        conv2 = new CausalConv3d(channels, channels, kernel);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = conv1.forward(functional.silu(norm1.forward(x)));
        h = conv2.forward(functional.silu(norm2.forward(h)));
        return x.Plus(h).MoveToOuterDisposeScope();
    }
}
