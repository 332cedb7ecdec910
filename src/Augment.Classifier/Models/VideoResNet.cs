using Augment.Data.Numerics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Classifier.Models;

/// <summary>
/// torchvision's VideoResNet family (torchvision.models.video.resnet, 0.14): r3d_18 (3×3×3 convolutions), mc3_18
/// (3×3×3 in layer1, 1×3×3 after) and r2plus1d_18 (every 3×3×3 factorised into 1×3×3 → BN → ReLU → 3×1×1 with
/// torchvision's midplanes). The modules nest exactly as torchvision's do, ReLUs included, so every state-dict name
/// (stem.0.weight, layer2.0.conv1.0.3.weight, layer2.0.downsample.1.running_var, fc.weight, …) is torchvision's and its
/// Kinetics-400 checkpoints load strictly. BatchNorm uses PyTorch's defaults (eps 1e-5, momentum 0.1).
/// </summary>
public sealed class VideoResNet : VideoClassifier, IPretrainedBackbone
{
    enum ConvKind { Simple, NoTemporal, TwoPlusOne }

    /// <summary>The architectures by torchvision's function names, with their layer builders and stem.</summary>
    static readonly Dictionary<string, (ConvKind[] Layers, bool R2Plus1dStem)> Archs = new(StringComparer.Ordinal)
    {
        ["r3d_18"] = ([ConvKind.Simple, ConvKind.Simple, ConvKind.Simple, ConvKind.Simple], false),
        ["mc3_18"] = ([ConvKind.Simple, ConvKind.NoTemporal, ConvKind.NoTemporal, ConvKind.NoTemporal], false),
        ["r2plus1d_18"] = ([ConvKind.TwoPlusOne, ConvKind.TwoPlusOne, ConvKind.TwoPlusOne, ConvKind.TwoPlusOne], true),
    };

    public static IReadOnlyCollection<string> Names => Archs.Keys;

    readonly Sequential stem;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly AdaptiveAvgPool3d avgpool;
    readonly Linear fc;
    readonly long flops;

    public VideoResNet(ModelConfig config) : base(config.Kind)
    {
        if (!Archs.TryGetValue(config.Kind, out var arch))
            throw new ArgumentException($"unknown VideoResNet arch '{config.Kind}' (known: {string.Join(", ", Names)})");
        Config = config;
        var shape = new FlopCounter(config.Frames, config.Height, config.ImageWidth);
        stem = arch.R2Plus1dStem
            ? Sequential(
                shape.Conv(3, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3)), new HeldBatchNorm(45, 3), ReLU(),
                shape.Conv(45, 64, (3, 1, 1), (1, 1, 1), (1, 0, 0)), new HeldBatchNorm(64, 3), ReLU())
            : Sequential(shape.Conv(3, 64, (3, 7, 7), (1, 2, 2), (1, 3, 3)), new HeldBatchNorm(64, 3), ReLU());
        int inplanes = 64;
        layer1 = MakeLayer(arch.Layers[0], ref inplanes, 64, 2, 1, shape);
        layer2 = MakeLayer(arch.Layers[1], ref inplanes, 128, 2, 2, shape);
        layer3 = MakeLayer(arch.Layers[2], ref inplanes, 256, 2, 2, shape);
        layer4 = MakeLayer(arch.Layers[3], ref inplanes, 512, 2, 2, shape);
        avgpool = AdaptiveAvgPool3d((1, 1, 1));
        fc = Linear(512, config.NumClasses);
        flops = shape.Flops + 2L * 512 * config.NumClasses;
        RegisterComponents();
        InitWeights();
    }

    public override ModelConfig Config { get; }
    public override long ForwardFlopsPerClip => flops;
    public string HeadPrefix => "fc.";
    public IReadOnlyList<Module[]> Stages => [[stem], [layer1], [layer2], [layer3], [layer4]];

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc.call(Features(input)).MoveToOuterDisposeScope();
    }

    /// <summary>The avgpool output flattened to [B,512]: what torchvision's fc reads.</summary>
    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        return PooledMap(input).flatten(1).MoveToOuterDisposeScope();
    }

    public Tensor PooledMap(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = stem.call(input);
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return avgpool.call(x).MoveToOuterDisposeScope();
    }

    /// <summary>torchvision's _make_layer: the first block takes the stride and, when the shape changes, a 1×1×1 projection.</summary>
    static Sequential MakeLayer(ConvKind kind, ref int inplanes, int planes, int blocks, int stride, FlopCounter shape)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        Sequential? downsample = null;
        if (stride != 1 || inplanes != planes)
        {
            // mc3's 1×3×3 layers keep the time axis in the shortcut as well.
            int ts = kind == ConvKind.NoTemporal ? 1 : stride;
            var input = shape.Save();
            downsample = Sequential(shape.Conv(inplanes, planes, (1, 1, 1), (ts, stride, stride), (0, 0, 0)), new HeldBatchNorm(planes, 3));
            shape.Restore(input);
        }
        layers.Add(new BasicBlock(kind, inplanes, planes, stride, downsample, shape));
        inplanes = planes;
        for (int i = 1; i < blocks; i++) layers.Add(new BasicBlock(kind, inplanes, planes, 1, null, shape));
        return Sequential(layers.ToArray());
    }

    /// <summary>torchvision's init: Kaiming-normal (fan_out, ReLU) convolutions, BatchNorm 1/0, fc N(0, 0.01) with zero bias.</summary>
    void InitWeights()
    {
        using var _ = no_grad();
        foreach (var (_, module) in named_modules())
        {
            switch (module)
            {
                case Conv3d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case HeldBatchNorm bn:
                    bn.weight!.fill_(HeldScalars.One);
                    bn.bias!.zero_();
                    bn.running_mean!.zero_();
                    bn.running_var!.fill_(HeldScalars.One);
                    break;
                case Linear linear:
                    init.normal_(linear.weight, 0, 0.01);
                    linear.bias!.zero_();
                    break;
            }
        }
    }

    /// <summary>One 3×3×3-equivalent convolution of the given kind (torchvision's conv_builder).</summary>
    static Module<Tensor, Tensor> Builder(ConvKind kind, int inC, int outC, int mid, int stride, FlopCounter shape) => kind switch
    {
        ConvKind.Simple => shape.Conv(inC, outC, (3, 3, 3), (stride, stride, stride), (1, 1, 1)),
        ConvKind.NoTemporal => shape.Conv(inC, outC, (1, 3, 3), (1, stride, stride), (0, 1, 1)),
        _ => Sequential(
            shape.Conv(inC, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1)), new HeldBatchNorm(mid, 3), ReLU(),
            shape.Conv(mid, outC, (3, 1, 1), (stride, 1, 1), (1, 0, 0))),
    };

    /// <summary>torchvision's BasicBlock: conv1 (builder, BN, ReLU), conv2 (builder, BN), residual, ReLU.</summary>
    sealed class BasicBlock : Module<Tensor, Tensor>
    {
        readonly Sequential conv1, conv2;
        readonly Sequential? downsample;

        public BasicBlock(ConvKind kind, int inplanes, int planes, int stride, Sequential? downsample, FlopCounter shape) : base("BasicBlock")
        {
            // One midplanes for both convolutions, from the block's input and output widths (integer division).
            int mid = inplanes * planes * 27 / (inplanes * 9 + 3 * planes);
            conv1 = Sequential(Builder(kind, inplanes, planes, mid, stride, shape), new HeldBatchNorm(planes, 3), ReLU());
            conv2 = Sequential(Builder(kind, planes, planes, mid, 1, shape), new HeldBatchNorm(planes, 3));
            this.downsample = downsample;
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var residual = downsample is null ? x : downsample.call(x);
            return functional.relu(conv2.call(conv1.call(x)).Plus(residual)).MoveToOuterDisposeScope();
        }
    }
}
