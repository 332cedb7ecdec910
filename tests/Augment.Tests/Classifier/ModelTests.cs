using Augment.Classifier.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

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
        using var model = VideoClassifier.Create(new ModelConfig(kind, 5, width, depth, frames, size, size));
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
}
