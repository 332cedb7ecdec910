using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Classifier.Models;

/// <summary>Architecture of a classifier: enough to rebuild it from a checkpoint.</summary>
public sealed record ModelConfig(string Kind, int NumClasses, int Width, int Depth, int Frames, int Height, int ImageWidth);

/// <summary>
/// A video classifier: [B,3,T,H,W] float clips in, [B,classes] logits out. It knows its own forward FLOPs per clip,
/// counted analytically from its conv and linear shapes (2 FLOPs per multiply-add; norms, activations and pooling are
/// left out because they are a rounding error next to the convolutions).
/// </summary>
public abstract class VideoClassifier(string name) : nn.Module<Tensor, Tensor>(name)
{
    /// <summary>
    /// Batch-norm running-statistics momentum. Higher than PyTorch's 0.1 because small medical datasets give only a
    /// few dozen steps per run, and eval-mode statistics must settle within them.
    /// </summary>
    protected const double NormMomentum = 0.3;

    public abstract ModelConfig Config { get; }
    public abstract long ForwardFlopsPerClip { get; }

    /// <summary>
    /// The penultimate features [B,F]: the pooled activations the linear head reads. Generation-quality metrics
    /// (Fréchet distance, diversity, nearest neighbours) are measured in this space.
    /// </summary>
    public abstract Tensor Features(Tensor input);

    public static VideoClassifier Create(ModelConfig config) => config.Kind switch
    {
        "r2plus1d" => new R2Plus1DNet(config),
        "frame2d" => new Frame2DNet(config),
        _ => throw new ArgumentException($"unknown classifier model '{config.Kind}' (known: r2plus1d, frame2d)"),
    };

    /// <summary>2·(multiply-adds) of a convolution producing outElements values, each from inPerOut inputs.</summary>
    protected static long ConvFlops(long outElements, long inChannels, long kernelVolume) => 2 * outElements * inChannels * kernelVolume;

    /// <summary>Output length of a convolution along one axis.</summary>
    protected static int OutLen(int len, int kernel, int stride, int pad) => (len + 2 * pad - kernel) / stride + 1;
}
