using Augment.Data.Numerics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace Augment.Classifier.Models;

/// <summary>
/// The per-frame baseline on an ImageNet backbone: torchvision's resnet18 (torchvision.models.resnet, 0.14) applied to
/// every frame, its pooled features averaged over time, then its fc. The modules are named as torchvision's (conv1,
/// bn1, layer1.0.conv1, layer2.0.downsample.1, fc, …), so resnet18-f37072fd.pth loads strictly; averaging before the
/// linear fc equals averaging the per-frame logits.
/// </summary>
public sealed class FrameResNet18 : VideoClassifier, IPretrainedBackbone
{
    readonly Conv2d conv1;
    readonly HeldBatchNorm bn1;
    readonly MaxPool2d maxpool;
    readonly Sequential layer1, layer2, layer3, layer4;
    readonly AdaptiveAvgPool2d avgpool;
    readonly Linear fc;
    readonly long flops;

    public FrameResNet18(ModelConfig config) : base("resnet18")
    {
        Config = config;
        long frameFlops = 0;
        long h = Out(config.Height, 7, 2, 3), w = Out(config.ImageWidth, 7, 2, 3);
        frameFlops += 2L * 64 * h * w * 3 * 49;
        conv1 = Conv2d(3, 64, 7, stride: 2, padding: 3, bias: false);
        bn1 = new HeldBatchNorm(64, 2);
        maxpool = MaxPool2d(3, stride: 2, padding: 1);
        (h, w) = (Out(h, 3, 2, 1), Out(w, 3, 2, 1));
        int inplanes = 64;
        layer1 = Layer(ref inplanes, 64, 1, ref h, ref w, ref frameFlops);
        layer2 = Layer(ref inplanes, 128, 2, ref h, ref w, ref frameFlops);
        layer3 = Layer(ref inplanes, 256, 2, ref h, ref w, ref frameFlops);
        layer4 = Layer(ref inplanes, 512, 2, ref h, ref w, ref frameFlops);
        avgpool = AdaptiveAvgPool2d(1);
        fc = Linear(512, config.NumClasses);
        flops = frameFlops * config.Frames + 2L * 512 * config.NumClasses;
        RegisterComponents();
        using var _ = no_grad();
        // torchvision's init: Kaiming-normal (fan_out, ReLU) convolutions and BatchNorm 1/0; fc keeps nn.Linear's default.
        foreach (var (_, module) in named_modules())
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case HeldBatchNorm bn:
                    bn.weight!.fill_(HeldScalars.One);
                    bn.bias!.zero_();
                    bn.running_mean!.zero_();
                    bn.running_var!.fill_(HeldScalars.One);
                    break;
            }
    }

    public override ModelConfig Config { get; }
    public override long ForwardFlopsPerClip => flops;
    public string HeadPrefix => "fc.";
    /// <summary>MMAction2's ResNet convention: stage 0 is the stem (conv1, bn1), then layer1..layer4.</summary>
    public IReadOnlyList<Module[]> Stages => [[conv1, bn1], [layer1], [layer2], [layer3], [layer4]];

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return fc.call(Features(input)).MoveToOuterDisposeScope();
    }

    /// <summary>Each frame's avgpool output [B·T,512], averaged over the T frames of its clip: [B,512].</summary>
    public override Tensor Features(Tensor input)
    {
        using var scope = NewDisposeScope();
        long b = input.shape[0], t = input.shape[2];
        var frames = input.permute(0, 2, 1, 3, 4).reshape(b * t, input.shape[1], input.shape[3], input.shape[4]);
        var x = maxpool.call(functional.relu(bn1.call(conv1.call(frames))));
        x = layer4.call(layer3.call(layer2.call(layer1.call(x))));
        return avgpool.call(x).flatten(1).view(b, t, -1).mean(new long[] { 1 }).MoveToOuterDisposeScope();
    }

    /// <summary>The time-averaged pooled features as [B,512,1,1]: torchvision's avgpool shape.</summary>
    public Tensor PooledMap(Tensor input)
    {
        using var scope = NewDisposeScope();
        var f = Features(input);
        return f.view(f.shape[0], f.shape[1], 1, 1).MoveToOuterDisposeScope();
    }

    static long Out(long len, long k, long s, long p) => (len + 2 * p - k) / s + 1;

    static Sequential Layer(ref int inplanes, int planes, int stride, ref long h, ref long w, ref long flops)
    {
        var first = new Block(inplanes, planes, stride, ref h, ref w, ref flops);
        inplanes = planes;
        return Sequential(first, new Block(planes, planes, 1, ref h, ref w, ref flops));
    }

    /// <summary>torchvision's BasicBlock: conv1 (3×3, stride) → bn1 → ReLU → conv2 → bn2, plus the shortcut, then ReLU.</summary>
    sealed class Block : Module<Tensor, Tensor>
    {
        readonly Conv2d conv1, conv2;
        readonly HeldBatchNorm bn1, bn2;
        readonly Sequential? downsample;

        public Block(int inplanes, int planes, int stride, ref long h, ref long w, ref long flops) : base("BasicBlock")
        {
            long h2 = Out(h, 3, stride, 1), w2 = Out(w, 3, stride, 1);
            conv1 = Conv2d(inplanes, planes, 3, stride: stride, padding: 1, bias: false);
            bn1 = new HeldBatchNorm(planes, 2);
            conv2 = Conv2d(planes, planes, 3, padding: 1, bias: false);
            bn2 = new HeldBatchNorm(planes, 2);
            flops += 2L * planes * h2 * w2 * (inplanes * 9 + planes * 9);
            if (stride != 1 || inplanes != planes)
            {
                downsample = Sequential(Conv2d(inplanes, planes, 1, stride: stride, bias: false), new HeldBatchNorm(planes, 2));
                flops += 2L * planes * h2 * w2 * inplanes;
            }
            (h, w) = (h2, w2);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x)
        {
            using var scope = NewDisposeScope();
            var y = bn2.call(conv2.call(functional.relu(bn1.call(conv1.call(x)))));
            return functional.relu(y.Plus(downsample is null ? x : downsample.call(x))).MoveToOuterDisposeScope();
        }
    }
}
