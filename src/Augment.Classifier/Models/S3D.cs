using Augment.Data.Numerics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Classifier.Models;

/// <summary>
/// torchvision's S3D (torchvision.models.video.s3d, 0.14; Xie et al., 2018): separable 1×k×k then k×1×1 convolutions and
/// separable Inception blocks. The modules nest as torchvision's (features.N, branchN, Conv3dNormActivation as
/// conv/BN/ReLU triples, classifier = dropout then a 1×1×1 convolution), so its checkpoints load strictly. BatchNorm is
/// torchvision's partial(BatchNorm3d, eps=1e-3, momentum=1e-3), not PyTorch's defaults. The fixed AvgPool3d((2,7,7))
/// makes 13×209×209 the smallest clip it accepts (16×224×224 is what its weights were trained on).
/// </summary>
public sealed class S3D : VideoClassifier, IPretrainedBackbone
{
    const double Eps = 1e-3, Momentum = 1e-3;

    readonly Sequential features;
    readonly AvgPool3d avgpool;
    readonly Sequential classifier;
    readonly long flops;

    public S3D(ModelConfig config) : base("s3d")
    {
        Config = config;
        var shape = new FlopCounter(config.Frames, config.Height, config.ImageWidth);
        features = Sequential(
            Separable(3, 64, 7, 2, 3, shape),
            Pool(shape, (1, 3, 3), (1, 2, 2), (0, 1, 1)),
            ConvNormRelu(64, 64, shape),
            Separable(64, 192, 3, 1, 1, shape),
            Pool(shape, (1, 3, 3), (1, 2, 2), (0, 1, 1)),
            new SepInception(192, 64, 96, 128, 16, 32, 32, shape),
            new SepInception(256, 128, 128, 192, 32, 96, 64, shape),
            Pool(shape, (3, 3, 3), (2, 2, 2), (1, 1, 1)),
            new SepInception(480, 192, 96, 208, 16, 48, 64, shape),
            new SepInception(512, 160, 112, 224, 24, 64, 64, shape),
            new SepInception(512, 128, 128, 256, 24, 64, 64, shape),
            new SepInception(512, 112, 144, 288, 32, 64, 64, shape),
            new SepInception(528, 256, 160, 320, 32, 128, 128, shape),
            Pool(shape, (2, 2, 2), (2, 2, 2), (0, 0, 0)),
            new SepInception(832, 256, 160, 320, 32, 128, 128, shape),
            new SepInception(832, 384, 192, 384, 48, 128, 128, shape));
        var (t, h, w) = shape.Save();
        if (t < 2 || h < 7 || w < 7)
            throw new ArgumentException($"s3d: a {config.Frames}×{config.Height}×{config.ImageWidth} clip leaves a {t}×{h}×{w} map, smaller than its AvgPool3d((2,7,7)); it needs at least 13×209×209");
        avgpool = AvgPool3d((2, 7, 7), stride: (1, 1, 1));
        shape.Pool((2, 7, 7), (1, 1, 1), (0, 0, 0));
        classifier = Sequential(Dropout(0.2), shape.Conv(1024, config.NumClasses, (1, 1, 1), (1, 1, 1), (0, 0, 0), bias: true));
        flops = shape.Flops;
        RegisterComponents();
        InitWeights();
    }

    public override ModelConfig Config { get; }
    public override long ForwardFlopsPerClip => flops;
    public string HeadPrefix => "classifier.";
    /// <summary>MMAction2 has no S3D; its stages here are the children of features that hold weights, in order
    /// (features.0, .2 and .3, then the nine Inception blocks), so frozen_stages 0 freezes the first convolution.</summary>
    public IReadOnlyList<Module[]> Stages => [.. features.children().Where(m => m.parameters().Any()).Select(m => new[] { m })];

    /// <summary>torchvision's forward: classifier convolution on the pooled map, then the mean over (t,h,w).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return classifier.call(PooledMap(input)).mean(new long[] { 2, 3, 4 }).MoveToOuterDisposeScope();
    }

    /// <summary>The pooled map averaged over (t,h,w), [B,1024]: the head is linear, so the logits are the head of this mean.</summary>
    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        return PooledMap(input).mean(new long[] { 2, 3, 4 }).MoveToOuterDisposeScope();
    }

    public Tensor PooledMap(Tensor input)
    {
        using var scope = NewDisposeScope();
        return avgpool.call(features.call(input)).MoveToOuterDisposeScope();
    }

    /// <summary>torchvision leaves S3D at PyTorch's per-layer defaults; TorchSharp's BatchNorm is set to the same 1/0 explicitly.</summary>
    void InitWeights()
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules())
            if (module is HeldBatchNorm bn)
            {
                bn.weight!.fill_(HeldScalars.One);
                bn.bias!.zero_();
                bn.running_mean!.zero_();
                bn.running_var!.fill_(HeldScalars.One);
            }
    }

    static MaxPool3d Pool(FlopCounter shape, (long, long, long) k, (long, long, long) s, (long, long, long) p)
    {
        shape.Pool(k, s, p);
        return MaxPool3d(k, s, p);
    }

    static HeldBatchNorm BatchNorm(int channels) => new(channels, 3, Eps, Momentum);

    /// <summary>torchvision's Conv3dNormActivation with a 1×1×1 kernel: [conv (no bias), BN, ReLU].</summary>
    static Sequential ConvNormRelu(int inC, int outC, FlopCounter shape) =>
        Sequential(shape.Conv(inC, outC, (1, 1, 1), (1, 1, 1), (0, 0, 0)), BatchNorm(outC), ReLU());

    /// <summary>torchvision's TemporalSeparableConv: a 1×k×k then a k×1×1 Conv3dNormActivation.</summary>
    static Sequential Separable(int inC, int outC, int k, int stride, int pad, FlopCounter shape) => Sequential(
        Sequential(shape.Conv(inC, outC, (1, k, k), (1, stride, stride), (0, pad, pad)), BatchNorm(outC), ReLU()),
        Sequential(shape.Conv(outC, outC, (k, 1, 1), (stride, 1, 1), (pad, 0, 0)), BatchNorm(outC), ReLU()));

    /// <summary>torchvision's SepInceptionBlock3D: four branches on the same input, concatenated along channels.</summary>
    sealed class SepInception : Module<Tensor, Tensor>
    {
        readonly Sequential branch0, branch1, branch2, branch3;

        public SepInception(int inC, int b0Out, int b1Mid, int b1Out, int b2Mid, int b2Out, int b3Out, FlopCounter shape) : base("SepInceptionBlock3D")
        {
            // Every branch keeps the shape (stride 1, same padding), so the counter needs no rewinding.
            branch0 = ConvNormRelu(inC, b0Out, shape);
            branch1 = Sequential(ConvNormRelu(inC, b1Mid, shape), Separable(b1Mid, b1Out, 3, 1, 1, shape));
            branch2 = Sequential(ConvNormRelu(inC, b2Mid, shape), Separable(b2Mid, b2Out, 3, 1, 1, shape));
            branch3 = Sequential(MaxPool3d((3, 3, 3), (1, 1, 1), (1, 1, 1)), ConvNormRelu(inC, b3Out, shape));
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            return cat([branch0.call(x), branch1.call(x), branch2.call(x), branch3.call(x)], 1).MoveToOuterDisposeScope();
        }
    }
}
