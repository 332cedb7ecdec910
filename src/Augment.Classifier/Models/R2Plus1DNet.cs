using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Classifier.Models;

/// <summary>
/// A small (2+1)D ResNet (Tran et al., 2018): every 3D convolution is factorised into a spatial 1×3×3 and a temporal
/// 3×1×1 convolution. Stage i has Width·2^i channels; every stage after the first halves H and W (and T while T ≥ 4).
/// Activations are kept as [B,T,C,H,W] and both factors run as 2D convolutions (frames as images for the spatial one,
/// time × pixels for the temporal one): mathematically the same as Conv3d, but libtorch's CPU Conv3d backward is many
/// times slower than Conv2d at these sizes.
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
        stem = Sequential(new SpatialConv(3, w, 2, relu: true), new TemporalConv(w, w, 1, relu: true));
        int h1 = OutLen(h, 3, 2, 1), x1 = OutLen(x, 3, 2, 1);
        flops = ConvFlops((long)w * t * h1 * x1, 3, 9) + ConvFlops((long)w * t * h1 * x1, w, 3);
        (h, x) = (h1, x1);

        stages = new ModuleList<Module<Tensor, Tensor>>();
        int channels = w;
        for (int i = 0; i < config.Depth; i++)
        {
            int outChannels = w << i;
            int sSpace = i == 0 ? 1 : 2, sTime = i > 0 && t >= 4 ? 2 : 1;
            stages.Add(new ResidualBlock(channels, outChannels, sTime, sSpace, ref t, ref h, ref x, out long blockFlops));
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
        return head.call(Features(input)).MoveToOuterDisposeScope();
    }

    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        var y = stem.call(input.permute(0, 2, 1, 3, 4).contiguous()); // [B,3,T,H,W] → [B,T,3,H,W]
        foreach (var stage in stages) y = stage.call(y);
        return y.mean(new long[] { 1, 3, 4 }).MoveToOuterDisposeScope();
    }

    /// <summary>1×3×3 convolution + group norm on [B,T,C,H,W]: every frame is an image.</summary>
    sealed class SpatialConv : Module<Tensor, Tensor>
    {
        readonly Conv2d conv;
        readonly GroupNorm norm;
        readonly bool relu;

        public SpatialConv(int inC, int outC, int stride, bool relu) : base("spatial")
        {
            conv = Conv2d(inC, outC, 3, stride: stride, padding: 1, bias: false);
            norm = Norm(outC);
            this.relu = relu;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], t = x.shape[1];
            var y = norm.call(conv.call(x.reshape(b * t, x.shape[2], x.shape[3], x.shape[4])));
            if (relu) y = functional.relu(y);
            return y.view(b, t, y.shape[1], y.shape[2], y.shape[3]);
        }
    }

    /// <summary>3×1×1 convolution + group norm on [B,T,C,H,W]: a (3,1) kernel over [B,C,T,H·W].</summary>
    sealed class TemporalConv : Module<Tensor, Tensor>
    {
        readonly Conv2d conv;
        readonly GroupNorm norm;
        readonly bool relu;

        public TemporalConv(int inC, int outC, int stride, bool relu) : base("temporal")
        {
            conv = Conv2d(inC, outC, (3, 1), stride: (stride, 1), padding: (1, 0), bias: false);
            norm = Norm(outC);
            this.relu = relu;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            long b = x.shape[0], t = x.shape[1], c = x.shape[2], h = x.shape[3], w = x.shape[4];
            var y = norm.call(conv.call(x.view(b, t, c, h * w).permute(0, 2, 1, 3)));
            if (relu) y = functional.relu(y);
            return y.permute(0, 2, 1, 3).contiguous().view(b, y.shape[2], y.shape[1], h, w);
        }
    }

    /// <summary>Two (2+1)D convolutions with a residual connection (a strided 1×1×1 projection when the shape changes).</summary>
    sealed class ResidualBlock : Module<Tensor, Tensor>
    {
        readonly Sequential body;
        readonly Conv2d? project;
        readonly GroupNorm? projectNorm;
        readonly int sTime;

        public ResidualBlock(int inC, int outC, int sTime, int sSpace, ref int t, ref int h, ref int x, out long flops) : base("block")
        {
            int t2 = OutLen(t, 3, sTime, 1), h2 = OutLen(h, 3, sSpace, 1), x2 = OutLen(x, 3, sSpace, 1);
            body = Sequential(
                new SpatialConv(inC, outC, sSpace, relu: true), new TemporalConv(outC, outC, sTime, relu: true),
                new SpatialConv(outC, outC, 1, relu: true), new TemporalConv(outC, outC, 1, relu: false));
            long outElems = (long)outC * t2 * h2 * x2;
            flops = ConvFlops((long)outC * t * h2 * x2, inC, 9) + ConvFlops(outElems, outC, 3)
                  + ConvFlops(outElems, outC, 9) + ConvFlops(outElems, outC, 3);
            this.sTime = sTime;
            if (inC != outC || sTime != 1 || sSpace != 1)
            {
                project = Conv2d(inC, outC, 1, stride: sSpace, bias: false);
                projectNorm = Norm(outC);
                flops += ConvFlops(outElems, inC, 1);
            }
            (t, h, x) = (t2, h2, x2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor input)
        {
            using var scope = NewDisposeScope();
            var y = body.call(input);
            var residual = input;
            if (project is not null)
            {
                var frames = sTime == 1 ? input : input.slice(1, 0, input.shape[1], sTime);
                long b = frames.shape[0], t = frames.shape[1];
                var p = projectNorm!.call(project.call(frames.reshape(b * t, frames.shape[2], frames.shape[3], frames.shape[4])));
                residual = p.view(b, t, p.shape[1], p.shape[2], p.shape[3]);
            }
            return functional.relu(y.Plus(residual)).MoveToOuterDisposeScope();
        }
    }
}
