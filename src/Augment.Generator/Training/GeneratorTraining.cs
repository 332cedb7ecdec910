using TorchSharp;
using System.Diagnostics;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Numerics;
using Augment.Data.Video;
using Augment.Generator.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Generator.Training;

/// <summary>One optimisation step as the CLI shows it.</summary>
public sealed record TrainProgress(string Stage, int Step, int TotalSteps, double Loss, double SecondsPerStep, int SkippedSteps = 0);

/// <summary>What a training stage produced.</summary>
public sealed record TrainResult(string Path, int Steps, double FinalLoss, int Clips, IReadOnlyList<QuarantineEntry> Quarantined, int SkippedSteps);

/// <summary>
/// The two training stages. Pretrain: the base model (the "HunyuanVideo" stand-in) on a broad pool. Adapt: LoRA on the
/// attention projections, base frozen, on one dataset's training split (MedGen = base + this adapter). Both are seeded
/// per step (batch, noise, t and condition dropout come from Seeds.Derive(seed, stage/step)), checkpoint atomically and
/// resume from the last checkpoint bit-identically. A step whose loss or gradient is not finite is skipped and counted
/// in the checkpoint header (<see cref="StepGuard"/>); too many stop training with the last checkpoint untouched.
/// </summary>
public static class GeneratorTraining
{
    public static TrainResult Pretrain(IReadOnlyList<Dataset> pool, ClipSpec spec, ClipCache cache, GeneratorConfig config,
        string checkpointPath, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        if (pool.Count == 0) throw new ArgumentException("pretraining needs at least one dataset");
        var data = TrainingSet.Load(pool, spec, cache, config.Model);
        var datasets = pool.Select(d => d.Name).ToList();
        var loss = PretrainOn(data, config, checkpointPath, datasets, progress, cancel);
        var skipped = TensorArchive.ReadHeader<BaseHeader>(checkpointPath).SkippedSteps;
        return new TrainResult(checkpointPath, config.Pretrain.Steps, loss, data.Count, data.Quarantined, skipped);
    }

    public static TrainResult Adapt(Dataset target, ClipSpec spec, ClipCache cache, GeneratorConfig config, string baseCheckpoint,
        string adapterPath, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        // The base decides the model size, whatever profile the adapter is trained under.
        var (model, header) = Checkpoints.LoadBase(baseCheckpoint);
        var data = TrainingSet.Load([target], spec, cache, header.Model);
        var loss = AdaptOn(model, data, config, TensorArchive.Hash(baseCheckpoint), adapterPath, target.Name, progress, cancel);
        var skipped = TensorArchive.ReadHeader<AdapterHeader>(adapterPath).SkippedSteps;
        return new TrainResult(adapterPath, config.Adapt.Steps, loss, data.Count, data.Quarantined, skipped);
    }

    /// <summary>
    /// Pretrains from scratch, or resumes from checkpointPath when it holds a shorter run of the same model; returns the
    /// last step's loss (a finished checkpoint returns the loss it recorded).
    /// </summary>
    public static double PretrainOn(TrainingSet data, GeneratorConfig config, string checkpointPath, IReadOnlyList<string> datasets,
        IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        var device = TorchDevice.Resolve(config.Device);
        TorchDevice.Seed(Seeds.Derive(config.Seed, "pretrain/init"));
        var model = new VideoDiT(config.Model);
        model.to(device.type);
        var trainable = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        var tc = config.Pretrain;
        var optimizer = new AdamW(trainable, tc.LearningRate, tc.WeightDecay);
        var ema = new Ema(trainable, tc.Ema);
        int start = 0, skipped = 0;
        double lastLoss = double.NaN;
        if (File.Exists(checkpointPath))
        {
            var (header, tensors) = TensorArchive.Read<BaseHeader>(checkpointPath);
            if (header.Kind != Checkpoints.BaseKind || header.Model != config.Model)
                throw new InvalidOperationException($"{checkpointPath}: holds a different model; delete it or choose another --out");
            Checkpoints.CopyInto(trainable, tensors, "model/", checkpointPath);
            ema.Load(tensors);
            optimizer.Load(tensors, header.Step);
            start = header.Step;
            lastLoss = header.Loss;
            skipped = header.SkippedSteps;
        }
        void Save(int step, double loss, int skippedSteps) => TensorArchive.Write(checkpointPath,
            new BaseHeader(Checkpoints.BaseKind, config.Model, step, tc.Steps, config.Seed, datasets, loss, skippedSteps),
            trainable.Select(p => ("model/" + p.name, (Tensor)p.parameter)).Concat(ema.State()).Concat(optimizer.State()));
        return Run("pretrain", model, trainable, optimizer, ema, data, tc, config.Seed, start, lastLoss, skipped, checkpointPath, Save, device, progress, cancel);
    }

    /// <summary>Adds LoRA to model (a loaded base), freezes everything else and trains the adapter; resumes from adapterPath.</summary>
    public static double AdaptOn(VideoDiT model, TrainingSet data, GeneratorConfig config, string baseHash, string adapterPath,
        string dataset, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        var device = TorchDevice.Resolve(config.Device);
        TorchDevice.Seed(Seeds.Derive(config.Seed, "adapt/init"));
        foreach (var p in model.parameters()) p.requires_grad = false;
        Lora.Apply(model, config.Lora);
        model.to(device.type);
        var trainable = Lora.Parameters(model);
        var tc = config.Adapt;
        var optimizer = new AdamW(trainable, tc.LearningRate, tc.WeightDecay);
        var ema = new Ema(trainable, tc.Ema);
        int start = 0, skipped = 0;
        double lastLoss = double.NaN;
        if (File.Exists(adapterPath))
        {
            var (header, tensors) = TensorArchive.Read<AdapterHeader>(adapterPath);
            // An adapter of another base or other LoRA settings cannot be continued: train a fresh one over it.
            if (header.Kind == Checkpoints.AdapterKind && header.BaseHash == baseHash && header.Rank == config.Lora.Rank
                && header.Alpha == config.Lora.Alpha && header.Targets.SequenceEqual(config.Lora.Targets))
            {
                Checkpoints.CopyInto(trainable, tensors, "model/", adapterPath);
                ema.Load(tensors);
                optimizer.Load(tensors, header.Step);
                start = header.Step;
                lastLoss = header.Loss;
                skipped = header.SkippedSteps;
            }
        }
        void Save(int step, double loss, int skippedSteps) => TensorArchive.Write(adapterPath,
            new AdapterHeader(Checkpoints.AdapterKind, config.Lora.Rank, config.Lora.Alpha, config.Lora.Targets, baseHash, step, tc.Steps, config.Seed, dataset, loss, skippedSteps),
            trainable.Select(p => ("model/" + p.Name, (Tensor)p.Param)).Concat(ema.State()).Concat(optimizer.State()));
        return Run("adapt", model, trainable, optimizer, ema, data, tc, config.Seed, start, lastLoss, skipped, adapterPath, Save, device, progress, cancel);
    }

    static double Run(string stage, VideoDiT model, List<(string Name, Parameter Param)> trainable, AdamW optimizer, Ema ema,
        TrainingSet data, TrainConfig tc, long seed, int start, double lastLoss, int skipped, string checkpointPath,
        Action<int, double, int> save, Device device, IProgress<TrainProgress>? progress, CancellationToken cancel)
    {
        ComputePath.Ensure();
        model.train();
        var parameters = trainable.Select(p => p.Param).ToList();
        var guard = new StepGuard(stage == "pretrain" ? "generator pretraining" : "LoRA adaptation",
            () => File.Exists(checkpointPath) ? checkpointPath : null, skipped, start);
        var clock = Stopwatch.StartNew();
        for (int step = start; step < tc.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                var rng = Seeds.Random(seed, $"{stage}/step{step}");
                var generator = new TorchSharp.torch.Generator((ulong)Seeds.Derive(seed, $"{stage}/step{step}/noise"));
                var idx = tensor(Enumerable.Range(0, tc.BatchSize).Select(_ => (long)rng.Next(data.Count)).ToArray());
                var keep = tensor(Enumerable.Range(0, tc.BatchSize).Select(_ => rng.NextDouble() < tc.CondDropout ? 0f : 1f).ToArray());
                var x0 = data.Clips.index_select(0, idx).to(device);
                var bags = (data.Bags.index_select(0, idx) * keep.unsqueeze(1)).to(device);
                var noise = randn(x0.shape, generator: generator).to(device);
                var t = FlowMatching.SampleTimes(tc.BatchSize, tc.TimeSampling, tc.Shift, generator).to(device);
                var loss = FlowMatching.Loss(model.forward(FlowMatching.Interpolate(x0, noise, t), t, bags), x0, noise);
                double lossValue = loss.item<float>(), gradNorm = double.NaN;
                if (double.IsFinite(lossValue))
                {
                    optimizer.ZeroGrad();
                    loss.backward();
                    if (tc.PoisonGradients?.Invoke(step) == true) parameters[0].grad!.fill_(float.NaN);
                    gradNorm = nn.utils.clip_grad_norm_(parameters, tc.GradClip);
                }
                if (guard.Admit(step, lossValue, gradNorm))
                {
                    optimizer.Step();
                    ema.Update();
                    lastLoss = lossValue;
                }
            }
            progress?.Report(new TrainProgress(stage, step + 1, tc.Steps, lastLoss, clock.Elapsed.TotalSeconds / (step + 1 - start), guard.Skipped));
            if ((step + 1) % tc.CheckpointEvery == 0 || step + 1 == tc.Steps) save(step + 1, lastLoss, guard.Skipped);
        }
        model.eval();
        return lastLoss;
    }
}
