using static TorchSharp.torch;

namespace Augment.Tests;

public class TorchSmokeTests
{
    [Fact]
    public void LibTorchLoadsAndBackpropagates()
    {
        // Fails with "doesn't contain a reference to libtorch" if the GLIBCXX weakening step did not run.
        var w = tensor(new float[] { 1, 2, 3 }, requires_grad: true);
        var loss = (w * w).sum();
        loss.backward();
        Assert.Equal(new float[] { 2, 4, 6 }, w.grad!.data<float>().ToArray());
    }
}
