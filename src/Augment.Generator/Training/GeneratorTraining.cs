using TorchSharp;
using System.Diagnostics;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Numerics;
using Augment.Data.Video;
using Augment.Generator.Models.Native;
using TorchSharp.Modules;
using AdamW = Augment.Data.Numerics.AdamW;
using static TorchSharp.torch;

namespace Augment.Generator.Training;

/// <summary>One optimisation step as the CLI shows it; Stage is autoencoder, pretrain or adapt.</summary>
public sealed record TrainProgress(string Stage, int Step, int TotalSteps, double Loss, double SecondsPerStep, int SkippedSteps = 0);

/// <summary>What a training stage produced.</summary>
public sealed record TrainedCheckpoint(string Path, int Steps, double FinalLoss, int Clips, IReadOnlyList<QuarantineEntry> Quarantined, int SkippedSteps);

/// <summary>
/// The training stages. Pretrain: the video autoencoder, then the latent diffusion transformer on the autoencoder's
/// latents of a broad pool (together the "HunyuanVideo" stand-in). Adapt: LoRA on the transformer, base frozen, on one
/// dataset's training split (MedGen = base + this adapter). Every stage is seeded per step (batch, noise, t and condition
/// dropout come from Seeds.Derive(seed, stage/step)), checkpoints atomically and resumes from its last checkpoint
/// bit-identically. A step whose loss or gradient is not finite is skipped and counted in the checkpoint header
/// (<see cref="StepGuard"/>); too many stop training with the last checkpoint untouched.
/// </summary>
public static class GeneratorTraining
{
    public static TrainedCheckpoint Pretrain(IReadOnlyList<Dataset> pool, ClipSpec spec, ClipCache cache, GeneratorConfig config,
        string checkpointPath, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        if (pool.Count == 0) throw new ArgumentException("pretraining needs at least one dataset");
        using var tensors = torch.NewDisposeScope(); // no tensor left to the finalizer thread (see ClassifierTrainer.Train)
        var data = TrainingSet.Load(pool, spec, cache, config.Model);
        var datasets = pool.Select(d => d.Name).ToList();
        var loss = PretrainOn(data, config, checkpointPath, datasets, progress, cancel);
        var skipped = TensorArchive.ReadHeader<BaseHeader>(checkpointPath).SkippedSteps;
        return new TrainedCheckpoint(checkpointPath, config.Pretrain.Steps, loss, data.Count, data.Quarantined, skipped);
    }

    public static TrainedCheckpoint Adapt(Dataset target, ClipSpec spec, ClipCache cache, GeneratorConfig config, string baseCheckpoint,
        string adapterPath, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        // The base decides the model size, whatever profile the adapter is trained under.
        using var tensors = torch.NewDisposeScope(); // no tensor left to the finalizer thread (see ClassifierTrainer.Train)
        var trained = Checkpoints.LoadBase(baseCheckpoint);
        var data = TrainingSet.Load([target], spec, cache, trained.Header.Model);
        var loss = AdaptOn(trained, data, config, FileHash.Short(baseCheckpoint), adapterPath, target.Name, progress, cancel);
        var skipped = TensorArchive.ReadHeader<AdapterHeader>(adapterPath).SkippedSteps;
        return new TrainedCheckpoint(adapterPath, config.Adapt.Steps, loss, data.Count, data.Quarantined, skipped);
    }

    /// <summary>The MedGen recipe: a LoRA adapter trained on captioned corpora (each clip prompted by its caption), not
    /// on a dataset's training split, so one adapter serves every dataset.</summary>
    public static TrainedCheckpoint AdaptToCorpora(IReadOnlyList<CaptionedCorpus> corpora, ClipSpec spec, ClipCache cache, GeneratorConfig config,
        string baseCheckpoint, string adapterPath, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        using var tensors = torch.NewDisposeScope(); // no tensor left to the finalizer thread (see ClassifierTrainer.Train)
        var trained = Checkpoints.LoadBase(baseCheckpoint);
        var data = TrainingSet.FromCorpora(corpora, spec, cache, trained.Header.Model);
        var loss = AdaptOn(trained, data, config, FileHash.Short(baseCheckpoint), adapterPath, string.Join("+", corpora.Select(c => c.Name)), progress, cancel);
        var skipped = TensorArchive.ReadHeader<AdapterHeader>(adapterPath).SkippedSteps;
        return new TrainedCheckpoint(adapterPath, config.Adapt.Steps, loss, data.Count, data.Quarantined, skipped);
    }

    /// <summary>Where the autoencoder of a base checkpoint is trained (its own resumable checkpoint, next to the base).</summary>
    public static string AutoencoderPath(string baseCheckpoint) => Path.ChangeExtension(baseCheckpoint, ".autoencoder.ckpt");

    /// <summary>
    /// Trains the autoencoder (or takes the finished one at <see cref="AutoencoderPath"/>), then pretrains the latent
    /// transformer from scratch or resumes it from checkpointPath when that holds a shorter run of the same model; returns
    /// the last step's loss (a finished checkpoint returns the loss it recorded).
    /// </summary>
    public static double PretrainOn(TrainingSet data, GeneratorConfig config, string checkpointPath, IReadOnlyList<string> datasets,
        IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        using var tensors = torch.NewDisposeScope(); // no tensor left to the finalizer thread (see ClassifierTrainer.Train)
        var device = TorchDevice.Resolve(config.Device);
        BaseHeader? previous = null;
        if (File.Exists(checkpointPath))
        {
            previous = TensorArchive.ReadHeader<BaseHeader>(checkpointPath);
            if (previous.Kind != Checkpoints.BaseKind || previous.Model != config.Model)
                throw new InvalidOperationException($"{checkpointPath}: holds a different model; delete it or choose another --out");
            if (previous.Step >= config.Pretrain.Steps) return previous.Loss;
        }
        var (autoencoder, reconstruction) = TrainAutoencoder(data, config, AutoencoderPath(checkpointPath), device, progress, cancel);
        var latents = Encode(autoencoder, data, device);

        TorchDevice.Seed(Seeds.Derive(config.Seed, "pretrain/init"));
        var model = new VideoDiT(config.Model);
        model.to(device.type);
        var tc = config.Pretrain;
        var state = new StageState(model.named_parameters().Select(p => (p.name, p.parameter)).ToList(), tc);
        if (previous is not null)
            state.Resume(TensorArchive.Read<BaseHeader>(checkpointPath).Tensors, checkpointPath, previous.Step, previous.Loss, previous.SkippedSteps);
        var autoencoderState = autoencoder.State().Select(s => (Checkpoints.AutoencoderPrefix + s.Name, s.Value)).ToList();
        void Save(int step, double loss, int skippedSteps) => TensorArchive.Write(checkpointPath,
            new BaseHeader(Checkpoints.BaseKind, config.Model, step, tc.Steps, config.Seed, datasets, loss, skippedSteps, reconstruction),
            state.Tensors().Concat(autoencoderState));
        return Run("pretrain", model, state, tc, checkpointPath, Save, DiffusionLoss("pretrain", model, latents, tc, config.Seed, device), progress, cancel);
    }

    /// <summary>Adds LoRA to a loaded base's transformer, freezes everything else and trains the adapter on the
    /// autoencoder's latents of data; resumes from adapterPath.</summary>
    public static double AdaptOn(BaseModel trained, TrainingSet data, GeneratorConfig config, string baseHash, string adapterPath,
        string dataset, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        var device = TorchDevice.Resolve(config.Device);
        var model = trained.Denoiser;
        trained.Autoencoder.to(device.type);
        var latents = Encode(trained.Autoencoder, data, device);
        TorchDevice.Seed(Seeds.Derive(config.Seed, "adapt/init"));
        foreach (var p in model.parameters()) p.requires_grad = false;
        Lora.Apply(model, config.Lora);
        model.to(device.type);
        var tc = config.Adapt;
        var state = new StageState(Lora.Parameters(model), tc);
        if (File.Exists(adapterPath))
        {
            var (header, tensors) = TensorArchive.Read<AdapterHeader>(adapterPath);
            // An adapter of another base or other LoRA settings cannot be continued: train a fresh one over it.
            if (header.Kind == Checkpoints.AdapterKind && header.BaseHash == baseHash && header.Rank == config.Lora.Rank
                && header.Alpha == config.Lora.Alpha && header.Targets.SequenceEqual(config.Lora.Targets))
                state.Resume(tensors, adapterPath, header.Step, header.Loss, header.SkippedSteps);
        }
        void Save(int step, double loss, int skippedSteps) => TensorArchive.Write(adapterPath,
            new AdapterHeader(Checkpoints.AdapterKind, config.Lora.Rank, config.Lora.Alpha, config.Lora.Targets, baseHash, step, tc.Steps, config.Seed, dataset, loss, skippedSteps),
            state.Tensors());
        return Run("adapt", model, state, tc, adapterPath, Save, DiffusionLoss("adapt", model, latents, tc, config.Seed, device), progress, cancel);
    }

    /// <summary>
    /// The autoencoder of the base: trained with L1 + MSE reconstruction and resumable like every stage. Once finished, its EMA weights and the latent statistics of the pool are the
    /// autoencoder; returns it with its mean absolute reconstruction error on the pool in grey levels (0–255).
    /// </summary>
    static (VideoAutoencoder Autoencoder, double Reconstruction) TrainAutoencoder(TrainingSet data, GeneratorConfig config,
        string path, Device device, IProgress<TrainProgress>? progress, CancellationToken cancel)
    {
        var tc = config.Autoencoder;
        TorchDevice.Seed(Seeds.Derive(config.Seed, "autoencoder/init"));
        var autoencoder = new VideoAutoencoder(config.Model);
        autoencoder.to(device.type);
        var state = new StageState(autoencoder.named_parameters().Select(p => (p.name, p.parameter)).ToList(), tc);
        if (File.Exists(path))
        {
            var (header, tensors) = TensorArchive.Read<AutoencoderHeader>(path);
            if (header.Kind != Checkpoints.AutoencoderKind || header.Model != config.Model)
                throw new InvalidOperationException($"{path}: holds a different autoencoder; delete it or choose another --out");
            if (header.Step >= tc.Steps)
            {
                Checkpoints.CopyInto(autoencoder.State(), tensors, Checkpoints.AutoencoderPrefix, path);
                return (autoencoder, header.Reconstruction);
            }
            state.Resume(tensors, path, header.Step, header.Loss, header.SkippedSteps);
        }
        var (finished, reconstruction) = (autoencoder, double.NaN);
        void Save(int step, double loss, int skippedSteps)
        {
            IEnumerable<(string, Tensor)> final = [];
            if (step == tc.Steps)
            {
                // The finished autoencoder is a copy holding the EMA weights and the pool's latent statistics; the raw
                // weights stay as they are, so a longer run can resume from this checkpoint.
                finished = new VideoAutoencoder(config.Model);
                finished.to(device.type);
                Checkpoints.CopyInto(finished.named_parameters().Select(p => (p.name, p.parameter)), state.Ema.State().ToDictionary(s => s.Name, s => s.Value), "ema/", path);
                finished.eval();
                reconstruction = FitLatentStatistics(finished, data, device);
                final = finished.State().Select(s => (Checkpoints.AutoencoderPrefix + s.Name, s.Value)).ToList();
            }
            TensorArchive.Write(path, new AutoencoderHeader(Checkpoints.AutoencoderKind, config.Model, step, tc.Steps, config.Seed, loss, skippedSteps, reconstruction),
                state.Tensors().Concat(final));
        }
        Run("autoencoder", autoencoder, state, tc, path, Save, step =>
        {
            var rng = Seeds.Random(config.Seed, $"autoencoder/step{step}");
            var idx = tensor(Enumerable.Range(0, tc.BatchSize).Select(_ => (long)rng.Next(data.Count)).ToArray());
            var x = data.Clips.index_select(0, idx).to(device);
            var z = autoencoder.EncodeRaw(x);
            var reconstructed = autoencoder.DecodeRaw(z);
            return nn.functional.l1_loss(reconstructed, x).Plus(nn.functional.mse_loss(reconstructed, x));
        }, progress, cancel);
        return (finished, reconstruction);
    }

    const int EncodeBatch = 32;

    /// <summary>Sets the autoencoder's latent statistics from the pool; returns its mean absolute reconstruction error (0–255).</summary>
    static double FitLatentStatistics(VideoAutoencoder autoencoder, TrainingSet data, Device device)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var raw = new List<Tensor>();
        double error = 0;
        for (long i = 0; i < data.Count; i += EncodeBatch)
        {
            var x = data.Clips.narrow(0, i, Math.Min(EncodeBatch, data.Count - i)).to(device);
            var z = autoencoder.EncodeRaw(x);
            error += (autoencoder.DecodeRaw(z).Clamped(-1, 1) - x).abs().sum().cpu().item<float>();
            raw.Add(z.cpu());
        }
        autoencoder.SetLatentStatistics(cat(raw));
        return error / data.Clips.numel() * 127.5;
    }

    /// <summary>The training set in latent space: the autoencoder's normalised latents of every clip, same prompts.</summary>
    static TrainingSet Encode(VideoAutoencoder autoencoder, TrainingSet data, Device device)
    {
        using var _ = no_grad();
        autoencoder.eval();
        var latents = new List<Tensor>();
        for (long i = 0; i < data.Count; i += EncodeBatch)
            latents.Add(autoencoder.Encode(data.Clips.narrow(0, i, Math.Min(EncodeBatch, data.Count - i)).to(device)).cpu());
        return new TrainingSet(cat(latents), data.Bags, data.Labels);
    }

    /// <summary>
    /// Flow-matching loss of one step on latents: the batch, noise, t and condition dropout drawn from (seed, stage, step).
    /// Each batch element picks a class uniformly, then one of its clips: a scarce class is what the generator is for, so it
    /// gets as many steps as a common one (drawn in proportion to its clips it got 6 % of them on the demo and stayed
    /// unrecognisable).
    /// </summary>
    static Func<int, Tensor> DiffusionLoss(string stage, VideoDiT model, TrainingSet latents, TrainConfig tc, long seed, Device device)
    {
        var byClass = latents.Labels.Select((label, i) => (label, i)).GroupBy(x => x.label, x => (long)x.i).Select(g => g.ToArray()).ToArray();
        return step => DiffusionLoss(stage, model, latents, byClass, tc, seed, device, step);
    }

    static Tensor DiffusionLoss(string stage, VideoDiT model, TrainingSet latents, long[][] byClass, TrainConfig tc, long seed, Device device, int step)
    {
        var rng = Seeds.Random(seed, $"{stage}/step{step}");
        // Disposed here, not by a finalizer: a Generator only the native call still uses can be finalized during it.
        using var generator = new TorchSharp.torch.Generator((ulong)Seeds.Derive(seed, $"{stage}/step{step}/noise"));
        var idx = tensor(Enumerable.Range(0, tc.BatchSize).Select(_ => byClass[rng.Next(byClass.Length)]).Select(c => c[rng.Next(c.Length)]).ToArray());
        var keep = tensor(Enumerable.Range(0, tc.BatchSize).Select(_ => rng.NextDouble() < tc.CondDropout ? 0f : 1f).ToArray());
        var x0 = latents.Clips.index_select(0, idx).to(device);
        var bags = (latents.Bags.index_select(0, idx) * keep.unsqueeze(1)).to(device);
        var noise = randn(x0.shape, generator: generator).to(device);
        var t = FlowMatching.SampleTimes(tc.BatchSize, tc.TimeSampling, tc.Shift, generator).to(device);
        return FlowMatching.Loss(model.forward(FlowMatching.Interpolate(x0, noise, t), t, bags), x0, noise);
    }

    static readonly Dictionary<string, string> StageNames = new()
    {
        ["autoencoder"] = "video autoencoder training", ["pretrain"] = "generator pretraining", ["adapt"] = "LoRA adaptation",
    };

    /// <summary>A stage's trained parameters with their optimizer and EMA, and where a resumed run picks up.</summary>
    sealed class StageState(List<(string Name, Parameter Param)> trainable, TrainConfig tc)
    {
        public List<(string Name, Parameter Param)> Trainable { get; } = trainable;
        public AdamW Optimizer { get; } = new(trainable, tc.LearningRate, tc.WeightDecay);
        public Ema Ema { get; } = new(trainable, tc.Ema);
        public int Start { get; private set; }
        public double LastLoss { get; private set; } = double.NaN;
        public int Skipped { get; private set; }

        public void Resume(IReadOnlyDictionary<string, Tensor> tensors, string path, int step, double loss, int skipped)
        {
            Checkpoints.CopyInto(Trainable, tensors, "model/", path);
            Ema.Load(tensors);
            Optimizer.Load(tensors, step);
            (Start, LastLoss, Skipped) = (step, loss, skipped);
        }

        /// <summary>What a checkpoint stores of the stage: raw weights (model/), EMA (ema/) and optimizer moments.</summary>
        public IEnumerable<(string Name, Tensor Value)> Tensors() =>
            Trainable.Select(p => ("model/" + p.Name, (Tensor)p.Param)).Concat(Ema.State()).Concat(Optimizer.State());
    }

    static double Run(string stage, nn.Module model, StageState state, TrainConfig tc, string checkpointPath, Action<int, double, int> save,
        Func<int, Tensor> lossAt, IProgress<TrainProgress>? progress, CancellationToken cancel)
    {
        ComputePath.Ensure();
        model.train();
        var (optimizer, ema, start, lastLoss) = (state.Optimizer, state.Ema, state.Start, state.LastLoss);
        var parameters = state.Trainable.Select(p => p.Param).ToList();
        var guard = new StepGuard(StageNames[stage], () => File.Exists(checkpointPath) ? checkpointPath : null, state.Skipped, start);
        var clock = Stopwatch.StartNew();
        for (int step = start; step < tc.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                var loss = lossAt(step);
                double lossValue = loss.item<float>(), gradNorm = double.NaN;
                if (double.IsFinite(lossValue))
                {
                    optimizer.ZeroGrad();
                    loss.backward();
                    guard.ApplyInjectedFault(step, parameters[0].grad!);
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
