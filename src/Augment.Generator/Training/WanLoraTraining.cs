using Augment.Generator.Adapters;
using Augment.Generator.Models.Wan;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Generator.Training;

/// <summary>What a Wan LoRA training runs: PEFT rank/alpha/targets, steps, AdamW, and the flow-matching time sampling.</summary>
public sealed record WanLoraTrainingConfig
{
    public int Rank { get; init; } = 32;
    public double Alpha { get; init; } = 32;
    public IReadOnlyList<string> Targets { get; init; } = PeftLora.DefaultTargets;
    public int Steps { get; init; } = 1000;
    public double LearningRate { get; init; } = 1e-4;
    public double WeightDecay { get; init; } = 0;
    /// <summary>logit-normal or uniform σ, then shifted (<see cref="FlowMatching.SampleTimes"/>).</summary>
    public string TimeSampling { get; init; } = "logit-normal";
    public double Shift { get; init; } = 1.0;
    public long Seed { get; init; }
}

/// <summary>One training example: a clip's VAE latent [C,F,H,W] (already (z − mean)/std normalised) and its prompt's
/// text embedding [L,text_dim].</summary>
public sealed record WanLoraExample(Tensor Latent, Tensor Text);

/// <summary>
/// Trains a LoRA on a frozen <see cref="WanTransformer3DModel"/> with the flow-matching loss: x_t = (1−σ)·x₀ + σ·ε,
/// timestep σ·1000, target ε − x₀. The base keeps its dtype (bf16 on a GPU); the adapters are float32 (LoraLinear
/// makes them so). Every draw (example, σ, noise) comes from the config's seed.
/// </summary>
public static class WanLoraTraining
{
    /// <summary>Adds the adapters, trains them, and returns the loss of every step.</summary>
    public static List<double> Train(WanTransformer3DModel model, IReadOnlyList<WanLoraExample> examples, WanLoraTrainingConfig config,
        IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        if (examples.Count == 0) throw new ArgumentException("LoRA training needs at least one example");
        if (config.Steps < 1) throw new ArgumentException($"LoRA training steps must be at least 1, not {config.Steps}");
        var device = model.parameters().First().device;
        foreach (var p in model.parameters()) p.requires_grad = false;
        var generator = new torch.Generator((ulong)config.Seed);
        PeftLora.AddAdapters(model, config.Rank, config.Alpha, config.Targets, generator);
        var trainable = PeftLora.Parameters(model);
        foreach (var (_, p) in trainable) p.requires_grad = true;
        var optimizer = new AdamW(trainable, config.LearningRate, config.WeightDecay);
        var baseDtype = model.Weights.dtype;
        var losses = new List<double>(config.Steps);
        model.train();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int step = 0; step < config.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var example = examples[(int)randint(examples.Count, [1], generator: generator).item<long>()];
            var x0 = example.Latent.unsqueeze(0).to(ScalarType.Float32);
            var noise = randn(x0.shape, generator: generator);
            var sigma = FlowMatching.SampleTimes(1, config.TimeSampling, config.Shift, generator);
            x0 = x0.to(device);
            noise = noise.to(device);
            sigma = sigma.to(device);
            var xt = FlowMatching.Interpolate(x0, noise, sigma).to(baseDtype);
            var predicted = model.forward(xt, sigma * 1000, example.Text.unsqueeze(0).to(baseDtype, device));
            var loss = FlowMatching.Loss(predicted.to(ScalarType.Float32), x0, noise);
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
            losses.Add(loss.item<float>());
            progress?.Report(new TrainProgress("wan-lora", step + 1, config.Steps, losses[^1], clock.Elapsed.TotalSeconds / (step + 1)));
        }
        model.eval();
        return losses;
    }
}
