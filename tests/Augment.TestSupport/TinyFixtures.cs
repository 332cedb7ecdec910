using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Generator;
using Augment.Generator.Training;

namespace Augment.Tests.Generator;

/// <summary>Tiny models and crafted clips the generator tests share.</summary>
public static class TinyFixtures
{
    public static readonly NativeModelConfig Model = new()
    {
        Frames = 4, Height = 16, Width = 16, LatentChannels = 4, AutoencoderWidth = 8, PatchFrames = 1, PatchSize = 1,
        Dim = 32, Depth = 2, Heads = 2, MlpRatio = 2, PromptBuckets = 64,
    };

    public static GeneratorConfig Config(int pretrainSteps = 40, int adaptSteps = 20, int autoencoderSteps = 20) => new()
    {
        Model = Model,
        Autoencoder = new TrainConfig { Steps = autoencoderSteps, BatchSize = 8, LearningRate = 3e-3, Ema = 0.9, CheckpointEvery = 10 },
        Pretrain = new TrainConfig { Steps = pretrainSteps, BatchSize = 8, LearningRate = 3e-3, Ema = 0.9, CheckpointEvery = 10 },
        Adapt = new TrainConfig { Steps = adaptSteps, BatchSize = 8, LearningRate = 1e-2, Ema = 0.5, CheckpointEvery = 10 },
        Lora = new LoraConfig { Rank = 4, Alpha = 4 },
        Sampler = new SamplerConfig { Steps = 8, Cfg = 2.0, Shift = 2.0 },
        Seed = 7,
    };

    /// <summary>A textured, moving, mid-exposure clip: what a good generated clip looks like to the gate.</summary>
    public static Clip Textured(long seed, int frames = 8, int size = 32, double gain = 1.0, Func<int, double>? frameGain = null)
    {
        var rng = Seeds.Random(seed, "textured");
        double fx = 0.2 + rng.NextDouble() * 0.4, fy = 0.2 + rng.NextDouble() * 0.4, phase = rng.NextDouble() * 6;
        var px = new byte[frames * size * size * 3];
        for (int t = 0; t < frames; t++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    double v = Math.Sin(fx * (x + 1.5 * t) + phase) * Math.Cos(fy * y - 0.7 * t) + 0.4 * Math.Sin(0.9 * (x - y) + phase);
                    for (int c = 0; c < 3; c++)
                    {
                        double value = (120 + 25 * c + 80 * v + rng.Next(-12, 13)) * gain * (frameGain?.Invoke(t) ?? 1.0);
                        px[((t * size + y) * size + x) * 3 + c] = (byte)Math.Clamp(value, 0, 255);
                    }
                }
        return new Clip(px, frames, size, size);
    }

    /// <summary>A clip of one colour with a little noise and a drifting bright spot (classes the tiny model must tell apart).</summary>
    public static Clip Coloured(byte r, byte g, byte b, long seed, int frames = 4, int size = 16)
    {
        var rng = Seeds.Random(seed, "coloured");
        var px = new byte[frames * size * size * 3];
        for (int t = 0; t < frames; t++)
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    int i = ((t * size + y) * size + x) * 3;
                    int n = rng.Next(-10, 11);
                    px[i] = (byte)Math.Clamp(r + n, 0, 255);
                    px[i + 1] = (byte)Math.Clamp(g + n, 0, 255);
                    px[i + 2] = (byte)Math.Clamp(b + n, 0, 255);
                }
        return new Clip(px, frames, size, size);
    }

    public static TrainingSet RedBlue(int perClass = 6) => TrainingSet.FromClips(
        Enumerable.Range(0, perClass).SelectMany(i => new[]
        {
            (Coloured(220, 40, 40, i), "red", "a red clip"),
            (Coloured(40, 40, 220, 100 + i), "blue", "a blue clip"),
        }).ToList(), Model);

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "augment-gen-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A two-class dataset of real mp4 files (3 training clips and 1 test clip per class) under dir.</summary>
    public static Dataset WriteDataset(string dir, int size = 32, int frames = 8)
    {
        var clips = new List<ClipRef>();
        foreach (var (label, rgb) in new[] { ("red", (220, 40, 40)), ("blue", (40, 40, 220)) })
            for (int i = 0; i < 4; i++)
            {
                var path = Path.Combine(dir, "videos", label, $"{i}.mp4");
                VideoIO.WriteMp4(path, Textured(label.Length * 10 + i, frames, size));
                clips.Add(new ClipRef(path, label, i < 3 ? Splits.Train : Splits.Test, $"{label}{i}"));
            }
        return new Dataset
        {
            Name = "tiny", Classes = ["red", "blue"], Clips = clips,
            Prompts = new Dictionary<string, string> { ["red"] = "a red clip", ["blue"] = "a blue clip" },
        };
    }

    public static bool Same(TorchSharp.torch.Tensor a, TorchSharp.torch.Tensor b) =>
        a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>Mean RGB of a clip, each in [0,255].</summary>
    public static double[] MeanColour(Clip clip)
    {
        var sum = new double[3];
        for (int i = 0; i < clip.Pixels.Length; i++) sum[i % 3] += clip.Pixels[i];
        return sum.Select(s => s / (clip.Pixels.Length / 3)).ToArray();
    }
}
