using Augment.Data;
using Augment.Data.Numerics;
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
    /// <summary>Steps between resumable checkpoints (when the caller gives a checkpoint path).</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>Whether a checkpoint made with <paramref name="other"/> can be resumed under these settings: all equal but the
    /// run's length and how often it saves (compared as JSON: the record's list of targets compares by reference).</summary>
    internal bool ResumesFrom(WanLoraTrainingConfig other) =>
        System.Text.Json.JsonSerializer.Serialize(this with { Steps = 0, CheckpointEvery = 0 }, AtomicFile.Json)
        == System.Text.Json.JsonSerializer.Serialize(other with { Steps = 0, CheckpointEvery = 0 }, AtomicFile.Json);
}

/// <summary>Header of a Wan LoRA training checkpoint: the settings it was trained with, the steps done and their losses.</summary>
public sealed record WanLoraCheckpointHeader(string Kind, WanLoraTrainingConfig Config, int Step, IReadOnlyList<double> Losses);

/// <summary>One training example: a clip's VAE latent [C,F,H,W] (already (z − mean)/std normalised) and its prompt's
/// text embedding [L,text_dim].</summary>
public sealed record WanLoraExample(Tensor Latent, Tensor Text);

/// <summary>
/// Trains a LoRA on a frozen <see cref="WanTransformer3DModel"/> with the flow-matching loss: x_t = (1−σ)·x₀ + σ·ε,
/// timestep σ·1000, target ε − x₀. The base keeps its dtype (bf16 on a GPU); the adapters are float32 (LoraLinear
/// makes them so). Every draw comes from the config's seed: the adapters' start from one stream, each step's example,
/// σ and noise from a stream of its own (seed, step), so a run resumed from a checkpoint takes the same steps as one
/// that was never stopped.
/// </summary>
public static class WanLoraTraining
{
    public const string CheckpointKind = "augment-wan-lora-training";

    /// <summary>Adds the adapters, trains them, and returns the loss of every step. With <paramref name="checkpointPath"/>,
    /// saves the adapters and AdamW's moments there (atomically) every <see cref="WanLoraTrainingConfig.CheckpointEvery"/>
    /// steps, and resumes from it when it holds a shorter run with the same settings.</summary>
    public static List<double> Train(WanTransformer3DModel model, IReadOnlyList<WanLoraExample> examples, WanLoraTrainingConfig config,
        IProgress<TrainProgress>? progress = null, CancellationToken cancel = default, string? checkpointPath = null)
    {
        if (examples.Count == 0) throw new ArgumentException("LoRA training needs at least one example");
        if (config.Steps < 1) throw new ArgumentException($"LoRA training steps must be at least 1, not {config.Steps}");
        if (config.CheckpointEvery < 1) throw new ArgumentException($"LoRA checkpoint_every must be at least 1, not {config.CheckpointEvery}");
        var device = model.parameters().First().device;
        foreach (var p in model.parameters()) p.requires_grad = false;
        using (var init = new torch.Generator((ulong)Seeds.Derive(config.Seed, "wan-lora/init")))
            PeftLora.AddAdapters(model, config.Rank, config.Alpha, config.Targets, init);
        var trainable = PeftLora.Parameters(model);
        foreach (var (_, p) in trainable) p.requires_grad = true;
        var optimizer = new AdamW(trainable, config.LearningRate, config.WeightDecay);
        var losses = Resume(checkpointPath, config, trainable, optimizer);
        var baseDtype = model.Weights.dtype;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int resumedAt = losses.Count;
        model.train();
        for (int step = losses.Count; step < config.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            using var generator = new torch.Generator((ulong)Seeds.Derive(config.Seed, $"wan-lora/step{step}"));
            var example = examples[(int)randint(examples.Count, [1], generator: generator).item<long>()];
            var x0 = example.Latent.unsqueeze(0).to(ScalarType.Float32);
            var noise = randn(x0.shape, generator: generator);
            var sigma = FlowMatching.SampleTimes(1, config.TimeSampling, config.Shift, generator);
            x0 = x0.to(device);
            noise = noise.to(device);
            sigma = sigma.to(device);
            var xt = FlowMatching.Interpolate(x0, noise, sigma).to(baseDtype);
            var predicted = model.forward(xt, sigma.Times(1000), example.Text.unsqueeze(0).to(baseDtype, device));
            var loss = FlowMatching.Loss(predicted.to(ScalarType.Float32), x0, noise);
            double value = loss.item<float>();
            // No silent NaN: a non-finite loss would poison the adapters through AdamW's moments.
            if (!double.IsFinite(value))
                throw new InvalidOperationException($"Wan LoRA training: the loss is {value} at step {step + 1} (lower the learning rate, or train in float32)");
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
            losses.Add(value);
            if (checkpointPath is not null && ((step + 1) % config.CheckpointEvery == 0 || step + 1 == config.Steps))
                TensorArchive.Write(checkpointPath, new WanLoraCheckpointHeader(CheckpointKind, config, step + 1, losses),
                    trainable.Select(p => ("model/" + p.Name, (Tensor)p.Param)).Concat(optimizer.State()));
            progress?.Report(new TrainProgress("wan-lora", step + 1, config.Steps, value, clock.Elapsed.TotalSeconds / (step + 1 - resumedAt)));
        }
        model.eval();
        return losses;
    }

    /// <summary>The losses of the steps a checkpoint already holds (its adapters and moments copied in), or none.</summary>
    static List<double> Resume(string? path, WanLoraTrainingConfig config, IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Param)> trainable, AdamW optimizer)
    {
        if (path is null || !File.Exists(path)) return [];
        var (header, tensors) = TensorArchive.Read<WanLoraCheckpointHeader>(path);
        try
        {
            // Another run's settings, or a longer run than this one asks for: start afresh (the file is overwritten).
            if (header.Kind != CheckpointKind || !config.ResumesFrom(header.Config) || header.Step > config.Steps
                || header.Losses.Count != header.Step) return [];
            Checkpoints.CopyInto(trainable, tensors, "model/", path);
            optimizer.Load(tensors, header.Step);
            return header.Losses.ToList();
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
