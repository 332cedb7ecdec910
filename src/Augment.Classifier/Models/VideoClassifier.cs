using Augment.Data.Numerics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Classifier.Models;

/// <summary>Architecture of a classifier: enough to rebuild it from a checkpoint.</summary>
/// <param name="Mean">A pretrained backbone's per-channel input mean when the config overrides its weights' (null: theirs).</param>
/// <param name="Std">Likewise its standard deviation.</param>
public sealed record ModelConfig(string Kind, int NumClasses, int Width, int Depth, int Frames, int Height, int ImageWidth,
    float[]? Mean = null, float[]? Std = null);

/// <summary>
/// A video classifier: [B,3,T,H,W] float clips in, [B,classes] logits out. It knows its own forward FLOPs per clip,
/// counted analytically from its conv and linear shapes (2 FLOPs per multiply-add; norms, activations and pooling are
/// left out because they are a rounding error next to the convolutions).
/// </summary>
public abstract class VideoClassifier(string name) : nn.Module<Tensor, Tensor>(name)
{
    /// <summary>
    /// The normalisation after every convolution: GroupNorm with two channels a group, over each frame (spatial
    /// convolutions) or each clip (temporal ones). Unlike BatchNorm it does not depend on the batch: with batches of 8
    /// class-balanced clips, BatchNorm's batch statistics and its eval-mode running averages disagreed, so the demo's
    /// validation F1 jumped between epochs and training accuracy stayed near 0.6 after 15 epochs. One channel a group
    /// (instance norm) scored higher on the demo but erases each frame's mean colour, so a model could no longer fit
    /// clips told apart by tint; two keep the colour differences between the channels of a group.
    /// </summary>
    protected static GroupNorm Norm(int channels) => GroupNorms.Create(channels % 2 == 0 ? channels / 2 : channels, channels);

    public abstract ModelConfig Config { get; }
    public abstract long ForwardFlopsPerClip { get; }

    /// <summary>
    /// The penultimate features [B,F]: the pooled activations the linear head reads. Generation-quality metrics
    /// (Fréchet distance, diversity, nearest neighbours) are measured in this space.
    /// </summary>
    public abstract Tensor Features(Tensor input);


    /// <summary>2·(multiply-adds) of a convolution producing outElements values, each from inPerOut inputs.</summary>
    protected static long ConvFlops(long outElements, long inChannels, long kernelVolume) => 2 * outElements * inChannels * kernelVolume;

    /// <summary>Output length of a convolution along one axis.</summary>
    protected static int OutLen(int len, int kernel, int stride, int pad) => (len + 2 * pad - kernel) / stride + 1;
}
