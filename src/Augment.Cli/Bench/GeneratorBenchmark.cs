using Augment.Generator;
using TorchSharp;
using System.Diagnostics;
using Augment.Data;
using Augment.Generator.Models.Native;
using Augment.Generator.Sampling;
using Augment.Generator.Training;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Cli.Bench;

/// <summary>Time, analytic FLOPs and MFU of one part of the engine doing one thing.</summary>
public sealed record BenchMeasure(string Part, string Work, double Seconds, double Gflops, double Mfu);

/// <summary>Sampling (latent sampler + decoding) of one clip at one clip size.</summary>
public sealed record SamplingScale(int Frames, int Height, int Width, int Tokens, double SecondsPerClip, double GflopsPerClip, double Mfu);

/// <summary>What `augment bench generator` measures.</summary>
public sealed record GeneratorBenchResult(
    string Device, NativeModelConfig Model, long AutoencoderParameters, long DenoiserParameters,
    int SamplerSteps, string Solver, int ModelEvaluationsPerClip, double GemmCeilingGflops,
    IReadOnlyList<BenchMeasure> Measures, double ClipsPerSecond, IReadOnlyList<SamplingScale> Scaling);

/// <summary>
/// Throughput and model-FLOPs utilisation of the native engine, the video autoencoder and the latent DiT measured
/// apart: training step time of each, encoding and decoding per clip, the sampler's transformer calls per clip, with
/// analytic FLOPs and MFU against the libtorch GEMM ceiling measured in the same process.
/// </summary>
public static class GeneratorBenchmark
{
    /// <summary>
    /// Analytic FLOPs (2 per multiply-add) of one transformer forward pass for one clip: patch embedding, per block the
    /// q/k/v/out projections, attention (QKᵀ and AV over all tokens), MLP and adaLN, the final layer and the conditioning
    /// MLPs. Elementwise work (norms, activations, softmax) is not counted.
    /// </summary>
    public static double ForwardFlops(NativeModelConfig m)
    {
        double n = m.Tokens, d = m.Dim, p = m.PatchValues;
        double block = 4 * 2 * n * d * d + 2 * 2 * n * n * d + 2 * 2 * n * d * (m.MlpRatio * d) + 2 * d * 6 * d;
        double conditioning = 2 * (128 * d + d * d) + 2 * (m.PromptBuckets * d + 2 * d * d);
        return 2 * n * p * d + m.Depth * block + 2 * d * 2 * d + 2 * n * d * p + conditioning;
    }

    /// <summary>Times are medians (of trainSteps steps, of clips clips) so one slow moment on a shared machine does not decide them.</summary>
    public static GeneratorBenchResult Run(GeneratorConfig config, int trainSteps = 20, int clips = 5,
        IReadOnlyList<(int Frames, int Size)>? scaling = null, IProgress<string>? progress = null)
    {
        var device = TorchDevice.Resolve(config.Device);
        progress?.Report("measuring the GEMM ceiling");
        var ceiling = GemmCeiling.MeasureGflops(device);
        var m = config.Model;
        BenchMeasure Measure(string part, string work, double seconds, double flops) => new(part, work, seconds, flops / 1e9, flops / 1e9 / seconds / ceiling);

        progress?.Report("timing training steps of the autoencoder and the latent DiT");
        var (autoencoderStep, denoiserStep) = TimeTraining(config, trainSteps);
        TorchDevice.Seed(0);
        var autoencoder = new VideoAutoencoder(m);
        var denoiser = new VideoDiT(m);
        var (encodeFlops, decodeFlops) = autoencoder.Flops(m);
        autoencoder.to(device.type).eval();
        denoiser.to(device.type).eval();

        progress?.Report("timing encoding, decoding and sampling");
        var (encode, decode, sample) = TimeSampling(autoencoder, denoiser, m, config.Sampler, device, clips);
        int evaluations = FlowSampler.Evaluations(config.Sampler);
        var sampleFlops = evaluations * ForwardFlops(m);
        var measures = new List<BenchMeasure>
        {
            Measure("autoencoder", $"training step (batch {config.Autoencoder.BatchSize})", autoencoderStep, 3 * (encodeFlops + decodeFlops) * config.Autoencoder.BatchSize),
            Measure("autoencoder", "encode one clip", encode, encodeFlops),
            Measure("autoencoder", "decode one clip", decode, decodeFlops),
            Measure("latent DiT", $"training step (batch {config.Pretrain.BatchSize})", denoiserStep, 3 * ForwardFlops(m) * config.Pretrain.BatchSize),
            Measure("latent DiT", $"sample one clip ({config.Sampler.Steps} {config.Sampler.Solver} steps, {evaluations} calls)", sample, sampleFlops),
        };

        var table = new List<SamplingScale>();
        foreach (var (frames, size) in scaling ?? [(m.Frames / 2, m.Height), (m.Frames, m.Height), (m.Frames * 2, m.Height), (m.Frames, m.Height * 2)])
        {
            var scaled = m with { Frames = frames, Height = size, Width = size };
            try { scaled.Validate(); } catch (ArgumentException) { continue; }
            progress?.Report($"timing sampling at {frames}x{size}x{size}");
            var (_, scaledDecode, scaledSample) = TimeSampling(autoencoder, denoiser, scaled, config.Sampler, device, clips);
            var flops = evaluations * ForwardFlops(scaled) + autoencoder.Flops(scaled).Decode;
            var seconds = scaledDecode + scaledSample;
            table.Add(new SamplingScale(frames, size, size, scaled.Tokens, seconds, flops / 1e9, flops / 1e9 / seconds / ceiling));
        }
        return new GeneratorBenchResult(device.type.ToString().ToLowerInvariant(), m,
            autoencoder.parameters().Sum(p => p.numel()), denoiser.parameters().Sum(p => p.numel()),
            config.Sampler.Steps, config.Sampler.Solver, evaluations, ceiling, measures, 1 / (sample + decode), table);
    }

    /// <summary>
    /// Median seconds per optimisation step of each stage on random clips, after 10 warm-up steps (libtorch's first steps
    /// at a shape are several times slower: allocator, oneDNN primitive caches, thread pool).
    /// </summary>
    static (double Autoencoder, double Denoiser) TimeTraining(GeneratorConfig config, int steps)
    {
        var m = config.Model;
        using var gen = new TorchSharp.torch.Generator(0);
        var data = new TrainingSet(rand(new long[] { 32, 3, m.Frames, m.Height, m.Width }, generator: gen).Times(2).Minus(1),
            PromptBag.Batch(Enumerable.Range(0, 32).Select(i => $"benchmark prompt {i % 4}").ToList(), m.PromptBuckets),
            Enumerable.Repeat("bench", 32).ToList());
        var dir = Path.Combine(Path.GetTempPath(), $"augment-bench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var times = new Dictionary<string, List<double>> { ["autoencoder"] = [], ["pretrain"] = [] };
            var clock = Stopwatch.StartNew();
            const int warmup = 10;
            var bench = config with
            {
                Autoencoder = config.Autoencoder with { Steps = warmup + steps + 1, CheckpointEvery = int.MaxValue },
                Pretrain = config.Pretrain with { Steps = warmup + steps + 1, CheckpointEvery = int.MaxValue },
            };
            GeneratorTraining.PretrainOn(data, bench, Path.Combine(dir, "bench.ckpt"), ["bench"], new SyncProgress<TrainProgress>(p =>
            {
                times[p.Stage].Add(clock.Elapsed.TotalSeconds);
                clock.Restart();
            }));
            // The last step of each stage also writes its checkpoint: leave it out with the warm-up steps.
            return (Stats.Median(times["autoencoder"].Skip(warmup).Take(steps).ToList()), Stats.Median(times["pretrain"].Skip(warmup).Take(steps).ToList()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static (double Encode, double Decode, double Sample) TimeSampling(VideoAutoencoder autoencoder, VideoDiT denoiser, NativeModelConfig m,
        SamplerConfig sampler, Device device, int clips)
    {
        using var _ = no_grad();
        // The transformer's position table fixes its clip size: other sizes get a fresh model (speed does not depend on weights).
        var scaled = m == denoiser.Config ? denoiser : new VideoDiT(m);
        scaled.to(device.type).eval();
        var bags = PromptBag.Batch(["benchmark prompt"], m.PromptBuckets).to(device);
        VelocityModel velocity = (x, t, b) => scaled.forward(x, t, b);
        double Time(Func<Tensor> work)
        {
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            work().cpu();
            return clock.Elapsed.TotalSeconds;
        }
        double Median5(Func<Tensor> work)
        {
            Time(work); // warm-up: first calls at a new shape are slow
            Time(work);
            return Stats.Median(Enumerable.Range(0, clips).Select(_ => Time(work)).ToList());
        }
        var pixels = rand(new long[] { 1, 3, m.Frames, m.Height, m.Width }, device: device).Times(2).Minus(1);
        var latent = randn([1, .. m.LatentShape], device: device);
        return (Median5(() => autoencoder.Encode(pixels)), Median5(() => autoencoder.Decode(latent)),
            Median5(() => FlowSampler.Sample(velocity, latent, bags, sampler)));
    }

}
