using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Classifier.Models;

/// <summary>
/// Baseline: a small 2D ResNet applied to every frame on its own, features averaged over time, one linear head. It
/// sees appearance but no motion, which is what the (2+1)D model adds.
/// </summary>
public sealed class Frame2DNet : VideoClassifier
{
    readonly Sequential stem;
    readonly ModuleList<Module<Tensor, Tensor>> stages;
    readonly Linear head;
    readonly long flops;

    public Frame2DNet(ModelConfig config) : base("frame2d")
    {
        Config = config;
        int w = config.Width, h = config.Height, x = config.ImageWidth;
        stem = Sequential(Conv2d(3, w, 3, stride: 2, padding: 1, bias: false), Norm(w), ReLU());
        h = OutLen(h, 3, 2, 1); x = OutLen(x, 3, 2, 1);
        long perFrame = ConvFlops((long)w * h * x, 3, 9);

        stages = new ModuleList<Module<Tensor, Tensor>>();
        int channels = w;
        for (int i = 0; i < config.Depth; i++)
        {
            int outChannels = w << i, stride = i == 0 ? 1 : 2;
            stages.Add(new ResidualBlock2d(channels, outChannels, stride, ref h, ref x, out long blockFlops));
            perFrame += blockFlops;
            channels = outChannels;
        }
        head = Linear(channels, config.NumClasses);
        flops = perFrame * config.Frames + 2L * channels * config.NumClasses;
        RegisterComponents();
    }

    public override ModelConfig Config { get; }
    public override long ForwardFlopsPerClip => flops;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return head.call(Features(input)).MoveToOuterDisposeScope();
    }

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        long b = input.shape[0], c = input.shape[1], t = input.shape[2];
        // [B,3,T,H,W] → [B·T,3,H,W]: frames become independent images.
        var frames = input.permute(0, 2, 1, 3, 4).reshape(b * t, c, input.shape[3], input.shape[4]);
        var y = stem.call(frames);
        foreach (var stage in stages) y = stage.call(y);
        var perFrame = y.mean(new long[] { 2, 3 }).reshape(b, t, -1);
        return perFrame.mean(new long[] { 1 }).MoveToOuterDisposeScope();
    }

    sealed class ResidualBlock2d : Module<Tensor, Tensor>
    {
        readonly Sequential body;
        readonly Sequential? shortcut;

        public ResidualBlock2d(int inC, int outC, int stride, ref int h, ref int x, out long flops) : base("block2d")
        {
            int h2 = OutLen(h, 3, stride, 1), x2 = OutLen(x, 3, stride, 1);
            body = Sequential(
                Conv2d(inC, outC, 3, stride: stride, padding: 1, bias: false), Norm(outC), ReLU(),
                Conv2d(outC, outC, 3, padding: 1, bias: false), Norm(outC));
            long outElems = (long)outC * h2 * x2;
            flops = ConvFlops(outElems, inC, 9) + ConvFlops(outElems, outC, 9);
            if (inC != outC || stride != 1)
            {
                shortcut = Sequential(Conv2d(inC, outC, 1, stride: stride, bias: false), Norm(outC));
                flops += ConvFlops(outElems, inC, 1);
            }
            (h, x) = (h2, x2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var residual = shortcut is null ? input : shortcut.call(input);
            return functional.relu(body.call(input).Plus(residual)).MoveToOuterDisposeScope();
        }
    }
}
