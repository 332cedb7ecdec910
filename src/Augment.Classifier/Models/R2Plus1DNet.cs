using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Classifier.Models;

/// <summary>
/// A small (2+1)D ResNet (Tran et al., 2018): every 3D convolution is factorised into a spatial 1×3×3 and a temporal
/// 3×1×1 convolution. Stage i has Width·2^i channels; every stage after the first halves H and W (and T while T ≥ 4).
/// </summary>
public sealed class R2Plus1DNet : VideoClassifier
{
    readonly Sequential stem;
    readonly ModuleList<Module<Tensor, Tensor>> stages;
    readonly Linear head;
    readonly long flops;

    public R2Plus1DNet(ModelConfig config) : base("r2plus1d")
    {
        Config = config;
        int w = config.Width, t = config.Frames, h = config.Height, x = config.ImageWidth;

        // Stem: spatial stride 2 keeps the expensive early layers small.
        stem = Sequential(
            Conv3d(3, w, (1, 3, 3), stride: (1, 2, 2), padding: (0, 1, 1), bias: false), BatchNorm3d(w), ReLU(),
            Conv3d(w, w, (3, 1, 1), padding: (1, 0, 0), bias: false), BatchNorm3d(w), ReLU());
        int h1 = OutLen(h, 3, 2, 1), x1 = OutLen(x, 3, 2, 1);
        flops = ConvFlops((long)w * t * h1 * x1, 3, 9) + ConvFlops((long)w * t * h1 * x1, w, 3);
        (h, x) = (h1, x1);

        stages = new ModuleList<Module<Tensor, Tensor>>();
        int channels = w;
        for (int i = 0; i < config.Depth; i++)
        {
            int outChannels = w << i;
            int sSpace = i == 0 ? 1 : 2, sTime = i > 0 && t >= 4 ? 2 : 1;
            var block = new ResidualBlock(channels, outChannels, sTime, sSpace, ref t, ref h, ref x, out long blockFlops);
            stages.Add(block);
            flops += blockFlops;
            channels = outChannels;
        }
        head = Linear(channels, config.NumClasses);
        flops += 2L * channels * config.NumClasses;
        RegisterComponents();
    }

    public override ModelConfig Config { get; }
    public override long ForwardFlopsPerClip => flops;

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = stem.call(input);
        foreach (var stage in stages) y = stage.call(y);
        y = y.mean(new long[] { 2, 3, 4 });
        return head.call(y).MoveToOuterDisposeScope();
    }

    /// <summary>Two (2+1)D convolutions with a residual connection (1×1×1 projection when the shape changes).</summary>
    sealed class ResidualBlock : Module<Tensor, Tensor>
    {
        readonly Sequential body;
        readonly Sequential? shortcut;

        public ResidualBlock(int inC, int outC, int sTime, int sSpace, ref int t, ref int h, ref int x, out long flops) : base("block")
        {
            int t2 = OutLen(t, 3, sTime, 1), h2 = OutLen(h, 3, sSpace, 1), x2 = OutLen(x, 3, sSpace, 1);
            body = Sequential(
                Conv3d(inC, outC, (1, 3, 3), stride: (1, sSpace, sSpace), padding: (0, 1, 1), bias: false), BatchNorm3d(outC), ReLU(),
                Conv3d(outC, outC, (3, 1, 1), stride: (sTime, 1, 1), padding: (1, 0, 0), bias: false), BatchNorm3d(outC), ReLU(),
                Conv3d(outC, outC, (1, 3, 3), padding: (0, 1, 1), bias: false), BatchNorm3d(outC), ReLU(),
                Conv3d(outC, outC, (3, 1, 1), padding: (1, 0, 0), bias: false), BatchNorm3d(outC));
            long outElems = (long)outC * t2 * h2 * x2;
            flops = ConvFlops((long)outC * t * h2 * x2, inC, 9) + ConvFlops(outElems, outC, 3)
                  + ConvFlops(outElems, outC, 9) + ConvFlops(outElems, outC, 3);
            if (inC != outC || sTime != 1 || sSpace != 1)
            {
                shortcut = Sequential(Conv3d(inC, outC, (1, 1, 1), stride: (sTime, sSpace, sSpace), bias: false), BatchNorm3d(outC));
                flops += ConvFlops(outElems, inC, 1);
            }
            (t, h, x) = (t2, h2, x2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var residual = shortcut is null ? input : shortcut.call(input);
            return functional.relu(body.call(input) + residual).MoveToOuterDisposeScope();
        }
    }
}
