using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// diffusers' WanCausalConv3d: a Conv3d (<c>weight</c>, <c>bias</c>) whose time padding is 2·p zero frames in front only;
/// the frames a chunked pass cached from the previous chunk take the place of that many zero frames.
/// </summary>
public sealed class WanCausalConv3d : Module<Tensor, Tensor?, Tensor>
{
    readonly Parameter weight;
    readonly Parameter bias;
    readonly long[] stride;
    readonly long[] pad; // F.pad order: w, w, h, h, t front, t back

    public WanCausalConv3d(long inChannels, long outChannels, (long T, long H, long W) kernel, (long T, long H, long W)? stride = null,
        (long T, long H, long W)? padding = null, Device? device = null) : base(nameof(WanCausalConv3d))
    {
        var s = stride ?? (1, 1, 1);
        var p = padding ?? (0, 0, 0);
        this.stride = [s.T, s.H, s.W];
        pad = [p.W, p.W, p.H, p.H, 2 * p.T, 0];
        // torch.nn.Conv3d's init: U(±1/√fan_in) for weight (kaiming-uniform a=√5) and bias.
        var bound = 1.0 / Math.Sqrt(inChannels * kernel.T * kernel.H * kernel.W);
        weight = Parameter(empty([outChannels, inChannels, kernel.T, kernel.H, kernel.W], device: device).uniform_(-bound, bound));
        bias = Parameter(empty([outChannels], device: device).uniform_(-bound, bound));
        RegisterComponents();
    }

    public WanCausalConv3d(long inChannels, long outChannels, long kernel, long padding = 0, Device? device = null)
        : this(inChannels, outChannels, (kernel, kernel, kernel), null, (padding, padding, padding), device) { }

    public override Tensor forward(Tensor x, Tensor? cached)
    {
        using var scope = NewDisposeScope();
        long front = pad[4];
        if (cached is not null && front > 0)
        {
            x = cat([cached.to(x.device), x], 2);
            front -= cached.shape[2];
        }
        // Only the causal time padding is a copy; the conv pads space itself (zeros, as F.pad would).
        if (front > 0) x = functional.pad(x, [0, 0, 0, 0, front, 0]);
        return functional.conv3d(x, weight, bias, stride, [0, pad[2], pad[0]]).MoveToOuterDisposeScope();
    }
}
