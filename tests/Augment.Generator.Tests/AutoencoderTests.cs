using Augment.Generator;
using Augment.Generator.Models.Native;
using Augment.Generator.Training;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Tests.Generator;

public class AutoencoderTests
{
    /// <summary>Mean absolute reconstruction error in grey levels (0–255) of clips [N,3,T,H,W] in [-1,1].</summary>
    static double Error(VideoAutoencoder autoencoder, Tensor clips)
    {
        using var _ = no_grad();
        return (autoencoder.Decode(autoencoder.Encode(clips)).Clamped(-1, 1) - clips).abs().mean().item<float>() * 127.5;
    }

    [Fact]
    public void ReconstructsATinySetWithinAStatedErrorAndFarBetterThanUntrained()
    {
        var data = TrainingSet.FromClips(Enumerable.Range(0, 6)
            .Select(i => (TinyFixtures.Textured(i, frames: 4, size: 16), "textured", "a textured clip")).ToList(), TinyFixtures.Model);
        var path = Path.Combine(TinyFixtures.TempDir(), "base.ckpt");
        GeneratorTraining.PretrainOn(data, TinyFixtures.Config(pretrainSteps: 1, autoencoderSteps: 150), path, ["tiny"]);

        var trained = Checkpoints.LoadBase(path);
        // Untrained, the residual shortcut alone reconstructs each 2×4×4 block's mean, trilinearly upsampled.
        TorchSharp.torch.manual_seed(0);
        using var untrained = new VideoAutoencoder(TinyFixtures.Model);
        untrained.SetLatentStatistics(untrained.EncodeRaw(data.Clips));
        double before = Error(untrained, data.Clips), after = Error(trained.Autoencoder, data.Clips);
        Assert.True(after < 12, $"reconstruction error {after:F1} grey levels (untrained {before:F1})");
        Assert.True(after < 0.6 * before, $"training improved reconstruction only from {before:F1} to {after:F1} grey levels");
        Assert.Equal(after, trained.Header.AutoencoderReconstruction, 1);
    }

    [Fact]
    public void ALatentFrameDependsOnlyOnItsOwnAndEarlierFrames()
    {
        TorchSharp.torch.manual_seed(1);
        using var autoencoder = new VideoAutoencoder(TinyFixtures.Model with { Frames = 8 });
        // Random weights everywhere (the zero-initialised output layers would hide the convolutions).
        using (no_grad()) foreach (var p in autoencoder.parameters()) p.normal_(0, 0.2);
        using var _ = no_grad();
        var clip = rand(new long[] { 1, 3, 8, 16, 16 }).Times(2).Minus(1);
        var changed = clip.clone();
        changed[.., .., 4..] = rand(new long[] { 1, 3, 4, 16, 16 });
        var a = autoencoder.Encode(clip);
        var b = autoencoder.Encode(changed);
        Assert.Equal(4, a.shape[2]);
        Assert.True(TinyFixtures.Same(a[.., .., ..2], b[.., .., ..2]), "latent frames 0–1 (pixel frames 0–3) changed when only frames 4–7 did");
        Assert.False(a[.., .., 2..].allclose(b[.., .., 2..]), "latent frames 2–3 ignored pixel frames 4–7");
    }

    [Fact]
    public void AnAutoencoderKilledMidwayResumesToTheSameBaseBitForBit()
    {
        var dir = TinyFixtures.TempDir();
        var data = TinyFixtures.RedBlue(3);
        var config = TinyFixtures.Config(pretrainSteps: 10, autoencoderSteps: 30); // checkpoints every 10 steps
        var straight = Path.Combine(dir, "straight.ckpt");
        GeneratorTraining.PretrainOn(data, config, straight, ["tiny"]);

        var resumed = Path.Combine(dir, "resumed.ckpt");
        using var kill = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => GeneratorTraining.PretrainOn(data, config, resumed, ["tiny"],
            new SyncProgress<TrainProgress>(p => { if (p.Stage == "autoencoder" && p.Step == 15) kill.Cancel(); }), kill.Token));
        Assert.False(File.Exists(resumed));
        Assert.Equal(10, TensorArchive.ReadHeader<AutoencoderHeader>(GeneratorTraining.AutoencoderPath(resumed)).Step);

        GeneratorTraining.PretrainOn(data, config, resumed, ["tiny"]);
        var (_, a) = TensorArchive.Read<BaseHeader>(straight);
        var (_, b) = TensorArchive.Read<BaseHeader>(resumed);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.Contains(a.Keys, k => k.StartsWith(Checkpoints.AutoencoderPrefix));
        foreach (var key in a.Keys) Assert.True(TinyFixtures.Same(a[key], b[key]), $"{key} differs after the autoencoder resumed");
    }
}
