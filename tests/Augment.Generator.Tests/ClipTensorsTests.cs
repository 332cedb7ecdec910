using Augment.Data;
using Augment.Generator;

namespace Augment.Tests.Generator;

public class ClipTensorsTests
{
    static Clip Gradient(int frames, int size)
    {
        var pixels = new byte[frames * size * size * 3];
        for (int t = 0; t < frames; t++)
        for (int y = 0; y < size; y++)
        for (int x = 0; x < size; x++)
        {
            int i = ((t * size + y) * size + x) * 3;
            pixels[i] = (byte)(x * 255 / (size - 1));
            pixels[i + 1] = (byte)(y * 255 / (size - 1));
            pixels[i + 2] = (byte)(t * 255 / Math.Max(1, frames - 1));
        }
        return new Clip(pixels, frames, size, size);
    }

    [Theory]
    [InlineData(4, 8, 8, 32)]   // dataset clips smaller than the model: enlarge
    [InlineData(8, 32, 4, 16)]  // larger: shrink
    public void ClipsOfAnySizeReachTheModelSizeAndComeBack(int frames, int size, int modelFrames, int modelSize)
    {
        var clip = Gradient(frames, size);
        using var x = ClipTensors.ToModel(clip, modelFrames, modelSize, modelSize);
        Assert.Equal(new long[] { 3, modelFrames, modelSize, modelSize }, x.shape);
        Assert.InRange(x.min().item<float>(), -1f, -0.7f);
        Assert.InRange(x.max().item<float>(), 0.7f, 1f);

        var back = ClipTensors.Resize(clip, new ClipSpec(modelFrames, modelSize, modelSize));
        Assert.Equal((modelFrames, modelSize, modelSize), (back.Frames, back.Height, back.Width));
        // Red still grows left to right after resampling.
        int row = modelSize / 2;
        Assert.True(back.Pixels[(row * modelSize + modelSize - 1) * 3] > back.Pixels[(row * modelSize) * 3] + 100);
    }
}
