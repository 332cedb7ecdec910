using TorchSharp;
using System.Diagnostics;
using Augment.Data;
using Augment.Generator.Model;
using Augment.Generator.Sampling;
using Augment.Generator.Training;
using static TorchSharp.torch;

namespace Augment.Generator;

/// <summary>Sampling time of one clip at one model size (random weights: speed does not depend on them).</summary>
public sealed record SamplingScale(int Frames, int Height, int Width, int Tokens, double SecondsPerClip, double GflopsPerClip, double Mfu);

/// <summary>What `augment bench generator` measures.</summary>
public sealed record GeneratorBenchResult(
    string Device, ModelConfig Model, long Parameters, int BatchSize,
    double TrainStepSeconds, double TrainGflopsPerStep, double TrainMfu,
    int SamplerSteps, string Solver, int ModelEvaluationsPerClip,
    double SamplingSecondsPerClip, double ClipsPerSecond, double GflopsPerClip, double SamplingMfu,
    double GemmCeilingGflops, IReadOnlyList<SamplingScale> Scaling);

/// <summary>
/// Throughput and model-FLOPs utilisation of the native generator: training step time, sampling clips/s, analytic
/// FLOPs per clip, and MFU against the libtorch GEMM ceiling measured in the same process.
/// </summary>
public static class GeneratorBenchmark
{
    /// <summary>
    /// Analytic FLOPs (2 per multiply-add) of one forward pass for one clip: patch embedding, per block the q/k/v/out
    /// projections, attention (QKᵀ and AV over all tokens), MLP and adaLN, the final layer, the seam-smoothing convolution
    /// and the conditioning MLPs. Elementwise work (norms, activations, softmax) is not counted.
    /// </summary>
    public static double ForwardFlops(ModelConfig m)
    {
        double n = m.Tokens, d = m.Dim, p = m.PatchValues;
        double block = 4 * 2 * n * d * d + 2 * 2 * n * n * d + 2 * 2 * n * d * (m.MlpRatio * d) + 2 * d * 6 * d;
        double conditioning = 2 * (128 * d + d * d) + 2 * (m.PromptBuckets * d + 2 * d * d);
        double refine = 2 * 27 * 3 * 3 * (double)m.Frames * m.Height * m.Width;
        return 2 * n * p * d + m.Depth * block + 2 * d * 2 * d + 2 * n * d * p + refine + conditioning;
    }

    /// <summary>Times are medians (of trainSteps steps, of clips clips per size) so one slow moment on a shared machine does not decide them.</summary>
    public static GeneratorBenchResult Run(GeneratorConfig config, int trainSteps = 30, int clips = 5,
        IReadOnlyList<(int Frames, int Size)>? scaling = null, IProgress<string>? progress = null)
    {
        var device = TorchDevice.Resolve(config.Device);
        progress?.Report("measuring the GEMM ceiling");
        var ceiling = GemmCeiling.MeasureGflops(device);
        var m = config.Model;

        progress?.Report("timing training steps");
        var stepSeconds = TimeTraining(config, trainSteps);
        var trainGflops = 3 * ForwardFlops(m) * config.Pretrain.BatchSize / 1e9;

        progress?.Report("timing sampling");
        var (perClip, parameters) = TimeSampling(config, m, clips);
        int evaluations = FlowSampler.Evaluations(config.Sampler);
        var clipGflops = evaluations * ForwardFlops(m) / 1e9;

        var table = new List<SamplingScale>();
        foreach (var (frames, size) in scaling ?? [(m.Frames / 2, m.Height), (m.Frames, m.Height), (m.Frames * 2, m.Height), (m.Frames, m.Height * 2)])
        {
            progress?.Report($"timing sampling at {frames}x{size}x{size}");
            var scaled = m with { Frames = frames, Height = size, Width = size };
            var (seconds, _) = TimeSampling(config, scaled, clips);
            var gflops = evaluations * ForwardFlops(scaled) / 1e9;
            table.Add(new SamplingScale(frames, size, size, scaled.Tokens, seconds, gflops, gflops / seconds / ceiling));
        }
        return new GeneratorBenchResult(device.type.ToString().ToLowerInvariant(), m, parameters, config.Pretrain.BatchSize,
            stepSeconds, trainGflops, trainGflops / stepSeconds / ceiling,
            config.Sampler.Steps, config.Sampler.Solver, evaluations,
            perClip, 1 / perClip, clipGflops, clipGflops / perClip / ceiling, ceiling, table);
    }

    /// <summary>
    /// Median seconds per optimisation step on random clips, after 10 warm-up steps (libtorch's first steps at a shape are
    /// several times slower: allocator, oneDNN primitive caches, thread pool).
    /// </summary>
    static double TimeTraining(GeneratorConfig config, int steps)
    {
        var m = config.Model;
        var gen = new TorchSharp.torch.Generator(0);
        var data = new TrainingSet(rand(new long[] { 32, 3, m.Frames, m.Height, m.Width }, generator: gen) * 2 - 1,
            PromptBag.Batch(Enumerable.Range(0, 32).Select(i => $"benchmark prompt {i % 4}").ToList(), m.PromptBuckets),
            Enumerable.Repeat("bench", 32).ToList());
        var dir = Path.Combine(Path.GetTempPath(), $"augment-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var times = new List<double>();
            var clock = Stopwatch.StartNew();
            const int warmup = 10;
            var bench = config with { Pretrain = config.Pretrain with { Steps = warmup + steps + 1, CheckpointEvery = int.MaxValue } };
            GeneratorTraining.PretrainOn(data, bench, Path.Combine(dir, "bench.ckpt"), ["bench"], new SyncProgress<TrainProgress>(p =>
            {
                times.Add(clock.Elapsed.TotalSeconds);
                clock.Restart();
            }));
            // The last step also writes the checkpoint: leave it out with the warm-up steps.
            return Median(times.Skip(warmup).Take(steps).ToList());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static (double SecondsPerClip, long Parameters) TimeSampling(GeneratorConfig config, ModelConfig m, int clips)
    {
        var device = TorchDevice.Resolve(config.Device);
        TorchDevice.Seed(0);
        var model = new VideoDiT(m);
        model.to(device.type);
        model.eval();
        long parameters = model.parameters().Sum(p => p.numel());
        var bags = PromptBag.Batch(["benchmark prompt"], m.PromptBuckets).to(device);
        VelocityModel velocity = (x, t, b) => model.forward(x, t, b);
        double Once()
        {
            using var scope = NewDisposeScope();
            var noise = randn(new long[] { 1, 3, m.Frames, m.Height, m.Width }, device: device);
            var clock = Stopwatch.StartNew();
            FlowSampler.Sample(velocity, noise, bags, config.Sampler).cpu();
            return clock.Elapsed.TotalSeconds;
        }
        Once(); // warm-up: first calls at a new shape are slow
        Once();
        return (Median(Enumerable.Range(0, clips).Select(_ => Once()).ToList()), parameters);
    }

    static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

}
