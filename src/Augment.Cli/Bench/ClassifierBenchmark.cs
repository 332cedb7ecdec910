using Augment.Classifier;
using Augment.Data.Numerics;
using System.Diagnostics;
using Augment.Classifier.Models;
using Augment.Data;
using Augment.Data.Video;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Cli.Bench;

public sealed record ClassifierBenchResult
{
    public required string Model { get; init; }
    public required string Device { get; init; }
    public required ClipSpec Spec { get; init; }
    public int BatchSize { get; init; }
    public int Threads { get; init; }
    /// <summary>Forward FLOPs per clip (convolutions and the head, 2 per multiply-add). Training counts 3×.</summary>
    public long ForwardFlopsPerClip { get; init; }
    public double GemmGflops { get; init; }
    public double TrainClipsPerSecond { get; init; }
    public double InferenceClipsPerSecond { get; init; }
    public double TrainGflops => TrainClipsPerSecond * 3 * ForwardFlopsPerClip / 1e9;
    public double InferenceGflops => InferenceClipsPerSecond * ForwardFlopsPerClip / 1e9;
    public double TrainMfu => TrainGflops / GemmGflops;
    public double InferenceMfu => InferenceGflops / GemmGflops;
    /// <summary>Clips/s decoding videos into the cache (first epoch of a new dataset).</summary>
    public double DecodeClipsPerSecond { get; init; }
    /// <summary>Clips/s reading decoded clips from the cache into a run's tensor (what every run pays).</summary>
    public double CacheLoadClipsPerSecond { get; init; }
    public double LoadToTrainRatio => CacheLoadClipsPerSecond / TrainClipsPerSecond;
}

/// <summary>
/// Measures the default classifier: training step and inference throughput on clips already in memory (batch
/// preparation and augmentation included), the same process's GEMM ceiling, and clip-cache throughput on videos it
/// writes itself.
/// </summary>
public static class ClassifierBenchmark
{
    public static ClassifierBenchResult Run(ClassifierOptions options, ClipSpec spec, string workDir, double seconds = 3, IProgress<string>? progress = null)
    {
        using var threads = new TorchThreads(options.Threads);
        var device = TorchDevice.Resolve(options.Device);
        var dtype = device.type == DeviceType.CUDA ? ScalarType.BFloat16 : ScalarType.Float32;
        const int classes = 5;
        TorchDevice.Seed(options.Seed);

        progress?.Report("GEMM ceiling");
        double gemm = GemmCeiling.MeasureGflops(device);

        progress?.Report("clip cache");
        var (decode, load) = MeasureCache(spec, workDir, Math.Max(8, options.BatchSize));

        string[] names = Enumerable.Range(0, classes).Select(i => $"class{i}").ToArray();
        int n = options.BatchSize * 4;
        using var pixels = randint(0, 256, new long[] { n, spec.Frames, spec.Height, spec.Width, 3 }, dtype: ScalarType.Byte);
        var labels = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
        var refs = labels.Select((l, i) => new ClipRef($"bench/{i}", names[l], "train", $"{i}")).ToList();
        using var set = new ClipSet(pixels, labels, refs, names);

        using var model = ClassifierModels.Create(new ModelConfig(options.Model, classes, options.Width, options.Depth, spec.Frames, spec.Height, spec.Width));
        model.to(device, dtype);
        using var optimizer = new AdamW(model.named_parameters().Select(p => (p.name, p.parameter)).ToList(), 1e-4, options.WeightDecay);
        var rng = Seeds.Random(options.Seed, "bench");
        int b = options.BatchSize;

        progress?.Report("training steps");
        double train = Throughput(seconds, b, step =>
        {
            using var scope = NewDisposeScope();
            var rows = Enumerable.Range(0, b).Select(i => (step * b + i) % n).ToArray();
            model.train();
            var x = ClipBatcher.Make(set, rows, device, rng).to(dtype);
            var y = tensor(rows.Select(r => (long)labels[r]).ToArray(), device: device);
            var loss = nn.functional.cross_entropy(model.call(x).to(ScalarType.Float32), y, label_smoothing: options.LabelSmoothing);
            optimizer.ZeroGrad();
            loss.backward();
            nn.utils.clip_grad_norm_(model.parameters(), options.GradClip);
            optimizer.Step();
            loss.item<float>();
        });

        progress?.Report("inference");
        model.eval();
        double inference;
        using (no_grad())
            inference = Throughput(seconds, b, step =>
            {
                using var scope = NewDisposeScope();
                var rows = Enumerable.Range(0, b).Select(i => (step * b + i) % n).ToArray();
                model.call(ClipBatcher.Make(set, rows, device).to(dtype)).argmax(1).cpu();
            });

        return new ClassifierBenchResult
        {
            Model = options.Model, Device = device.type.ToString().ToLowerInvariant(), Spec = spec, BatchSize = b,
            Threads = get_num_threads(), ForwardFlopsPerClip = model.ForwardFlopsPerClip, GemmGflops = gemm,
            TrainClipsPerSecond = train, InferenceClipsPerSecond = inference,
            DecodeClipsPerSecond = decode, CacheLoadClipsPerSecond = load,
        };
    }

    /// <summary>Clips/s of a batch step after two warm-up steps, over at least the given time.</summary>
    static double Throughput(double seconds, int batch, Action<int> step)
    {
        step(0);
        step(1);
        int steps = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || steps < 3) step(steps++);
        return steps * batch / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Writes short mp4 videos, decodes them into a fresh cache (cold), then loads them as a run would (warm).</summary>
    static (double Decode, double Load) MeasureCache(ClipSpec spec, string workDir, int count)
    {
        var videos = Path.Combine(workDir, "videos");
        var cache = new ClipCache(Path.Combine(workDir, "cache"));
        var rng = new Random(0);
        var clips = new List<ClipRef>();
        for (int i = 0; i < count; i++)
        {
            var path = Path.Combine(videos, $"clip{i}.mp4");
            VideoIO.WriteMp4(path, MovingBlob(spec.Frames * 2, spec.Height * 2, spec.Width * 2, rng));
            clips.Add(new ClipRef(path, "class0", "train", $"v{i}"));
        }
        var clock = Stopwatch.StartNew();
        using (ClipSet.Load(clips, ["class0"], spec, cache)) { }
        double decode = count / clock.Elapsed.TotalSeconds;

        int loaded = 0;
        clock.Restart();
        while (clock.Elapsed.TotalSeconds < 1 || loaded < 4 * count)
        {
            using (ClipSet.Load(clips, ["class0"], spec, cache)) { }
            loaded += count;
        }
        return (decode, loaded / clock.Elapsed.TotalSeconds);
    }

    static Clip MovingBlob(int frames, int height, int width, Random rng)
    {
        var pixels = new byte[frames * height * width * 3];
        int cx = rng.Next(width), cy = rng.Next(height);
        for (int f = 0; f < frames; f++)
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int d = Math.Abs(x - (cx + f) % width) + Math.Abs(y - cy);
                    int o = ((f * height + y) * width + x) * 3;
                    pixels[o] = (byte)Math.Max(0, 220 - 6 * d);
                    pixels[o + 1] = (byte)(60 + (x * 3) % 60);
                    pixels[o + 2] = (byte)(40 + (y * 5) % 50);
                }
        return new Clip(pixels, frames, height, width);
    }
}
