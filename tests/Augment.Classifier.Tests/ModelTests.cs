using Augment.Classifier.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Tests.Classifier;

public class ModelTests
{
    /// <summary>The analytic FLOPs the benchmark reports match a count taken from the layers' real output shapes.</summary>
    [Theory]
    [InlineData("r2plus1d", 8, 2, 8, 32)]
    [InlineData("r2plus1d", 4, 3, 4, 24)]
    [InlineData("frame2d", 8, 2, 8, 32)]
    public void AnalyticFlopsMatchMeasuredLayerShapes(string kind, int width, int depth, int frames, int size)
    {
        using var model = ClassifierModels.Create(new ModelConfig(kind, 5, width, depth, frames, size, size));
        const int batch = 2;
        long counted = 0;
        foreach (var (_, module) in model.named_modules())
        {
            // 2 FLOPs per multiply-add: each output value takes weight.numel / out_channels multiply-adds.
            if (module is Conv2d conv)
                conv.register_forward_hook((_, _, output) => { counted += 2 * output.numel() / batch * (conv.weight!.numel() / conv.weight.shape[0]); return output; });
            else if (module is Linear linear)
                linear.register_forward_hook((_, _, output) => { counted += 2 * output.numel() / batch * linear.weight!.shape[1]; return output; });
        }
        model.eval();
        using (no_grad()) model.call(randn(new long[] { batch, 3, frames, size, size })).Dispose();

        Assert.Equal(counted, model.ForwardFlopsPerClip);
    }

    /// <summary>
    /// In training mode a clip's logits do not depend on the other clips of its batch (no batch statistics), and the
    /// normalisation layers start as PyTorch's identity affine (TorchSharp leaves GroupNorm's weight and bias unset).
    /// </summary>
    [Theory]
    [InlineData("r2plus1d")]
    [InlineData("frame2d")]
    public void TrainingModeLogitsDoNotDependOnTheRestOfTheBatch(string kind)
    {
        manual_seed(3);
        using var model = ClassifierModels.Create(new ModelConfig(kind, 5, 8, 2, 8, 32, 32));
        var norms = model.modules().OfType<GroupNorm>().ToList();
        Assert.NotEmpty(norms);
        Assert.All(norms, n => Assert.True(n.weight!.eq(HeldScalars.One).all().item<bool>() && n.bias!.eq(HeldScalars.Zero).all().item<bool>()));

        model.train();
        using var clip = randn(new long[] { 1, 3, 8, 32, 32 });
        using var others = randn(new long[] { 3, 3, 8, 32, 32 }).Times(3).Plus(1);
        using var alone = model.call(clip);
        using var inBatch = model.call(cat(new[] { clip, others }, 0));
        Assert.True(alone.allclose(inBatch[..1], rtol: 1e-4, atol: 1e-5));
    }
}
