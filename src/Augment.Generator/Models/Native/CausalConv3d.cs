using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Native;

/// <summary>
/// A 3-D convolution that never looks at future frames: time is padded only at the front (repeating the first frame),
/// space symmetrically with zeros. So frame k of the output depends on input frames ≤ k, as in the causal VAEs of
/// HunyuanVideo and Wan, and the first frame is encoded as an image.
/// </summary>
public sealed class CausalConv3d : Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Conv3d conv;
    readonly int timePad;

    public CausalConv3d(int inChannels, int outChannels, (int T, int H, int W) kernel, (int T, int H, int W) stride = default)
        : base(nameof(CausalConv3d))
    {
        stride = stride == default ? (1, 1, 1) : stride;
        timePad = kernel.T - 1;
        conv = Conv3d(inChannels, outChannels, kernel_size: (kernel.T, kernel.H, kernel.W),
            stride: (stride.T, stride.H, stride.W), padding: (0, kernel.H / 2, kernel.W / 2));
        RegisterComponents();
    }

    public TorchSharp.Modules.Conv3d Conv => conv;

    public override Tensor forward(Tensor x)
    {
        if (timePad == 0) return conv.forward(x);
        using var padded = functional.pad(x, [0, 0, 0, 0, timePad, 0], TorchSharp.PaddingModes.Replicate);
        return conv.forward(padded);
    }
}
