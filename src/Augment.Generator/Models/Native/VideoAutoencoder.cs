using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Native;

/// <summary>
/// A small causal video autoencoder: [B,3,T,H,W] pixels in [-1,1] ↔ [B,C,T/2,H/4,W/4] latents. At full and half
/// resolution it convolves only in space (1×3×3, where most positions are and so most of the cost); the downsampling to
/// the latent grid and the blocks there mix time too (3×3×3, causal), so latent frame k depends on pixel frames ≤ 2k+1.
/// <para>
/// Residual autoencoding (as in DC-AE): the first three latent channels are the clip averaged over each 2×4×4 block, plus
/// what the encoder learns, and the decoder adds the trilinear upsampling of those channels to what it learns. Both
/// networks end in zero-initialised convolutions, so an untrained autoencoder already reconstructs a blurred clip and
/// training only has to learn the detail: with a few hundred CPU steps a plain autoencoder was still returning flat colour.
/// </para>
/// The latents are normalised per channel with the mean and standard deviation measured on the training pool
/// (<see cref="SetLatentStatistics"/>), so the diffusion model sees roughly unit-variance inputs. Deterministic (no KL term).
/// </summary>
public sealed class VideoAutoencoder : Module<Tensor, Tensor>
{
    static readonly (int, int, int) Space = (1, 3, 3), SpaceTime = (3, 3, 3);

    readonly Sequential encoder, decoder;
    readonly Tensor latent_mean, latent_std;
    readonly int latentChannels;

    public VideoAutoencoder(NativeModelConfig config) : base(nameof(VideoAutoencoder))
    {
        config.Validate();
        int w = config.AutoencoderWidth, z = config.LatentChannels;
        encoder = Sequential(
            ("conv_in", new CausalConv3d(3, w, Space)),
            ("down1", new CausalConv3d(w, 2 * w, Space, (1, 2, 2))),
            ("block1", new AutoencoderBlock(2 * w, Space)),
            ("down2", new CausalConv3d(2 * w, 4 * w, SpaceTime, (2, 2, 2))),
            ("block2", new AutoencoderBlock(4 * w, SpaceTime)),
            ("norm_out", new FrameGroupNorm(4 * w)),
            ("act_out", SiLU()),
            ("conv_out", new CausalConv3d(4 * w, z, (1, 1, 1))));
        decoder = Sequential(
            ("conv_in", new CausalConv3d(z, 4 * w, SpaceTime)),
            ("block2", new AutoencoderBlock(4 * w, SpaceTime)),
            ("up2", Upsample(scale_factor: [2, 2, 2], mode: UpsampleMode.Nearest)),
            ("conv_up2", new CausalConv3d(4 * w, 2 * w, SpaceTime)),
            ("block1", new AutoencoderBlock(2 * w, Space)),
            ("up1", Upsample(scale_factor: [1, 2, 2], mode: UpsampleMode.Nearest)),
            ("conv_up1", new CausalConv3d(2 * w, w, Space)),
            ("norm_out", new FrameGroupNorm(w)),
            ("act_out", SiLU()),
            ("conv_out", new CausalConv3d(w, 3, Space)));
        using (no_grad())
            foreach (var last in new[] { (CausalConv3d)encoder[^1], (CausalConv3d)decoder[^1] })
            {
                last.Conv.weight!.zero_();
                last.Conv.bias!.zero_();
            }
        latentChannels = z;
        latent_mean = zeros(new long[] { 1, z, 1, 1, 1 });
        latent_std = ones(new long[] { 1, z, 1, 1, 1 });
        RegisterComponents();
    }

    /// <summary>Raw (unnormalised) latents, for training the autoencoder.</summary>
    public Tensor EncodeRaw(Tensor pixels)
    {
        using var scope = NewDisposeScope();
        var blocks = functional.avg_pool3d(pixels, [NativeModelConfig.TemporalCompression, NativeModelConfig.SpatialCompression, NativeModelConfig.SpatialCompression]);
        var shortcut = functional.pad(blocks, [0, 0, 0, 0, 0, 0, 0, latentChannels - 3]);
        return encoder.forward(pixels).Plus(shortcut).MoveToOuterDisposeScope();
    }

    /// <summary>Pixels → normalised latents.</summary>
    public Tensor Encode(Tensor pixels)
    {
        using var raw = EncodeRaw(pixels);
        return (raw - latent_mean) / latent_std;
    }

    /// <summary>Raw latents → pixels (unbounded; clamp to [-1,1] to show).</summary>
    public Tensor DecodeRaw(Tensor latents)
    {
        using var scope = NewDisposeScope();
        var shortcut = functional.interpolate(latents.narrow(1, 0, 3),
            scale_factor: [NativeModelConfig.TemporalCompression, NativeModelConfig.SpatialCompression, NativeModelConfig.SpatialCompression],
            mode: InterpolationMode.Trilinear, align_corners: false);
        return decoder.forward(latents).Plus(shortcut).MoveToOuterDisposeScope();
    }

    /// <summary>Normalised latents → pixels.</summary>
    public Tensor Decode(Tensor latents)
    {
        using var product = latents * latent_std;
        using var raw = product.Plus(latent_mean);
        return DecodeRaw(raw);
    }

    /// <summary>Pixels → pixels through the raw latent.</summary>
    public override Tensor forward(Tensor pixels)
    {
        using var z = EncodeRaw(pixels);
        return DecodeRaw(z);
    }

    /// <summary>Per-channel mean and standard deviation of raw latents [N,C,T,H,W] that <see cref="Encode"/> divides out.</summary>
    public void SetLatentStatistics(Tensor rawLatents)
    {
        using var _ = no_grad();
        var dims = new long[] { 0, 2, 3, 4 };
        latent_mean.copy_(rawLatents.mean(dims, keepdim: true));
        latent_std.copy_(rawLatents.std(dims, keepdim: true).ClampedMin(1e-4));
    }

    /// <summary>Every tensor that defines the autoencoder: weights and the latent statistics.</summary>
    public IEnumerable<(string Name, Tensor Value)> State() =>
        named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(named_buffers().Select(b => (b.name, b.buffer)));

    /// <summary>
    /// Analytic FLOPs (2 per multiply-add) of encoding and of decoding one clip: every convolution, at the output shape a
    /// forward pass gives. Norms, activations, upsampling and the shortcuts are not counted.
    /// </summary>
    public (double Encode, double Decode) Flops(NativeModelConfig config)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        double Count(Sequential net, Tensor input)
        {
            double flops = 0;
            var x = input;
            foreach (var layer in net.children())
            {
                // Every convolution of a layer (a block keeps its input's shape) runs at the layer's output positions.
                var y = ((Module<Tensor, Tensor>)layer).forward(x);
                flops += Convolutions(layer).Sum(conv => 2.0 * y.shape[2] * y.shape[3] * y.shape[4] * conv.weight!.numel());
                x = y;
            }
            return flops;
        }
        var pixels = zeros(new long[] { 1, 3, config.Frames, config.Height, config.Width });
        return (Count(encoder, pixels), Count(decoder, zeros([1, .. config.LatentShape])));
    }

    static IEnumerable<TorchSharp.Modules.Conv3d> Convolutions(Module module) => module switch
    {
        CausalConv3d c => [c.Conv],
        _ => module.modules().OfType<CausalConv3d>().Select(c => c.Conv),
    };
}
