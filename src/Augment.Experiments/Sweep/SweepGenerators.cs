using System.Diagnostics;
using System.Text.Json;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Experiments.Cluster;
using Augment.Experiments.Config;
using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Generator.Model;
using Augment.Generator.Training;

namespace Augment.Experiments.Sweep;

/// <summary>
/// The generator side of a sweep, each step done at most once and reused while its fingerprint holds (SweepStages): the
/// base model pretrained once per sweep, one LoRA adapter per dataset, one generation per (dataset, generator, seed)
/// sized for the largest ratio. Interrupted steps resume from their own partial files (training checkpoints, per-clip
/// sidecars of a generation); a step whose inputs changed starts again from nothing. Each step is claimed before it
/// runs, so workers sharing the output folder never run one twice: a worker that needs a step another holds waits.
/// </summary>
public sealed class SweepGenerators(ExperimentConfig config, IReadOnlyDictionary<string, SweepDataset> datasets, ClipCache cache,
    SweepStages stages, GeneratorConfig generatorConfig, StageClaims claims)
{
    /// <summary>Generation runs actually executed by this instance (not skipped because already done).</summary>
    public int GenerationsRun { get; private set; }

    public static GeneratorConfig BuildConfig(ExperimentConfig config)
    {
        // The engine generates at the sweep's clip size: no resampling between generated and real clips.
        var g = GeneratorConfig.ForProfile(ProfileDefaults.Name(config.Profile)).AtClipSize(config.Clip) with { Seed = config.Seeds[0] };
        var s = config.Generator;
        return g with
        {
            Autoencoder = s.AutoencoderSteps is { } e ? g.Autoencoder with { Steps = e } : g.Autoencoder,
            Pretrain = s.PretrainSteps is { } p ? g.Pretrain with { Steps = p } : g.Pretrain,
            Adapt = s.AdaptSteps is { } a ? g.Adapt with { Steps = a } : g.Adapt,
            Sampler = g.Sampler with { Steps = s.SampleSteps ?? g.Sampler.Steps, Cfg = s.Cfg ?? g.Sampler.Cfg },
            Gate = s.Gate,
            Device = s.Device,
        };
    }

    // A training stage that stopped (e.g. too many non-finite steps) fails every cell that needs it, without retraining each time.
    readonly Dictionary<string, string> failedStages = [];

    T Once<T>(string stage, Func<T> run)
    {
        if (failedStages.TryGetValue(stage, out var error)) throw new InvalidOperationException($"{stage} failed earlier in this sweep: {error}");
        try { return run(); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failedStages[stage] = e.Message;
            throw;
        }
    }

    /// <summary>Holds the stage for this worker, waiting while another runs it; null when that other finished it.</summary>
    Claim? Hold(Func<StageDecision> decide, Action<string, double> report, CancellationToken cancel) =>
        claims.Take(decide().Stage, () => decide().Action == StageAction.Reuse,
            holder => report($"waiting for {holder.Worker} to finish {holder.Stage}", 0), cancel);

    public string EnsureBase(Action<string, double> report, CancellationToken cancel) =>
        Once("base generator pretraining", () => TrainBase(report, cancel));

    string TrainBase(Action<string, double> report, CancellationToken cancel)
    {
        var checkpoint = Path.Combine(stages.BaseDir, "base.ckpt");
        using var claim = Hold(stages.Base, report, cancel);
        if (!stages.Begin(stages.Base(), stages.BaseDir, stages.BasePrint())) return checkpoint;
        var pool = config.Generator.PretrainPool.Select(name => name == "general" ? GeneralPool(report) : datasets[name].Data).ToList();
        var clock = Stopwatch.StartNew();
        var result = GeneratorTraining.Pretrain(pool, config.Clip, cache, generatorConfig, checkpoint,
            new SyncProgress<TrainProgress>(p => report($"{(p.Stage == "autoencoder" ? "training the base's video autoencoder" : "pretraining base generator")} " +
                $"(step {p.Step}/{p.TotalSteps}, loss {p.Loss:0.000}{Skips(p)})", (double)p.Step / p.TotalSteps)), cancel);
        var autoencoder = TensorArchive.ReadHeader<AutoencoderHeader>(GeneratorTraining.AutoencoderPath(checkpoint));
        AtomicFile.WriteJson(Path.Combine(stages.BaseDir, SweepStages.BaseMarker), new GeneratorTrainingRecord(result.Steps, result.FinalLoss,
            result.SkippedSteps, result.Clips, pool.Select(d => d.Name).ToList(), clock.Elapsed.TotalSeconds, ClipCache.ContentHash(checkpoint))
        {
            AutoencoderSteps = autoencoder.Step, AutoencoderSkippedSteps = autoencoder.SkippedSteps, AutoencoderReconstruction = autoencoder.Reconstruction,
        });
        return checkpoint;
    }

    public string EnsureAdapter(string dataset, Action<string, double> report, CancellationToken cancel)
    {
        var baseCheckpoint = EnsureBase(report, cancel);
        return Once($"LoRA adaptation to {dataset}", () => TrainAdapter(dataset, baseCheckpoint, report, cancel));
    }

    string TrainAdapter(string dataset, string baseCheckpoint, Action<string, double> report, CancellationToken cancel)
    {
        var dir = stages.AdapterDir(dataset);
        var adapter = Path.Combine(dir, "adapter.ckpt");
        using var claim = Hold(() => stages.Adapter(dataset), report, cancel);
        if (!stages.Begin(stages.Adapter(dataset), dir, stages.AdapterPrint(dataset)!)) return adapter;
        var clock = Stopwatch.StartNew();
        var result = GeneratorTraining.Adapt(datasets[dataset].Data, config.Clip, cache, generatorConfig, baseCheckpoint, adapter,
            new SyncProgress<TrainProgress>(p => report($"adapting LoRA to {dataset} (step {p.Step}/{p.TotalSteps}, loss {p.Loss:0.000}{Skips(p)})", (double)p.Step / p.TotalSteps)), cancel);
        AtomicFile.WriteJson(Path.Combine(dir, SweepStages.AdapterMarker), new GeneratorTrainingRecord(result.Steps, result.FinalLoss,
            result.SkippedSteps, result.Clips, [dataset], clock.Elapsed.TotalSeconds, ClipCache.ContentHash(adapter)));
        return adapter;
    }

    /// <summary>What a generator of the sweep really is, for the report: the native backend is a small local model
    /// standing in for the one its label names.</summary>
    public static string Describe(GeneratorEntry entry, GeneratorConfig generatorConfig) => entry.Backend switch
    {
        GeneratorBackend.Native => $"native latent stand-in{(entry.Adapt ? " + LoRA" : "")} ({Millions(BaseParameters(generatorConfig.Model))} params)",
        GeneratorBackend.Import => $"imported clips ({Path.GetFileName(entry.Manifest)})",
        GeneratorBackend.Onnx => $"ONNX model ({Path.GetFileName(entry.Model)})",
        _ => "none",
    };

    static string Millions(long n) => (n / 1e6).ToString(n < 10_000_000 ? "0.00M" : "0M", System.Globalization.CultureInfo.InvariantCulture);

    static long BaseParameters(ModelConfig model)
    {
        using var dit = new VideoDiT(model);
        using var autoencoder = new VideoAutoencoder(model);
        return dit.parameters().Concat(autoencoder.parameters()).Sum(p => p.numel());
    }

    static string Skips(TrainProgress p) => p.SkippedSteps == 0 ? "" : $", {p.SkippedSteps} non-finite steps skipped";

    /// <summary>The generation for the largest ratio: ceil(maxRatio · n_c · oversample) clips of each targeted class c.</summary>
    public GenerationRecord EnsureGeneration(GenerationPlan plan, Action<string, double> report, CancellationToken cancel)
    {
        var entry = config.Generators.First(g => g.Name == plan.Generator);
        // Parents first, so the generation's fingerprint can name the checkpoints it samples from.
        if (entry.Backend == GeneratorBackend.Native) { if (entry.Adapt) EnsureAdapter(plan.Dataset, report, cancel); else EnsureBase(report, cancel); }
        using var claim = Hold(() => stages.Generation(plan), report, cancel);
        if (!stages.Begin(stages.Generation(plan), plan.Dir, stages.GenerationPrint(plan)!)) return GenerationRecord.TryRead(plan.Dir)!;
        var ds = datasets[plan.Dataset];
        var trainCounts = ds.Data.Split(Splits.Train).GroupBy(c => c.Label).ToDictionary(g => g.Key, g => g.Count());
        var perClass = ds.TargetClasses.ToDictionary(c => c,
            c => (int)Math.Ceiling(plan.MaxRatio * trainCounts.GetValueOrDefault(c) * config.Generator.Oversample));

        var generator = Open(entry, plan.Dataset, report, cancel);
        try
        {
            var clock = Stopwatch.StartNew();
            GenerationsRun++;
            var result = generator.Generate(new GenerationRequest(ds.Data, config.Clip, perClass, plan.Seed, plan.Dir), cache,
                new SyncProgress<double>(f => report($"generating {entry.Label} clips for {plan.Dataset} (seed {plan.Seed})", f)), cancel);
            var record = new GenerationRecord
            {
                Dataset = plan.Dataset, Generator = plan.Generator, Seed = plan.Seed, MaxRatio = plan.MaxRatio,
                Requested = perClass, Accepted = result.Accepted, Rejected = result.Rejected,
                Manifest = Path.GetRelativePath(plan.Dir, result.ManifestPath),
                ContactSheets = result.ContactSheets.Select(s => Path.GetRelativePath(plan.Dir, s)).ToList(),
                Seconds = clock.Elapsed.TotalSeconds, FinishedAt = DateTimeOffset.UtcNow,
            };
            AtomicFile.WriteJson(Path.Combine(plan.Dir, GenerationRecord.FileName), record);
            return record;
        }
        finally
        {
            (generator as IDisposable)?.Dispose();
        }
    }

    IVideoGenerator Open(GeneratorEntry entry, string dataset, Action<string, double> report, CancellationToken cancel) => entry.Backend switch
    {
        GeneratorBackend.Native => new NativeGenerator(entry.Name, EnsureBase(report, cancel),
            entry.Adapt ? EnsureAdapter(dataset, report, cancel) : null, generatorConfig),
        GeneratorBackend.Import => new ImportGenerator(entry.Name, entry.Manifest!, generatorConfig),
        GeneratorBackend.Onnx => new OnnxGenerator(entry.Name, entry.Model!, generatorConfig),
        _ => throw new InvalidOperationException($"generator {entry.Name} has no backend that generates clips"),
    };

    // The stand-in for a foundation model's general prior, rendered once next to the demo data (as large as the first
    // demo dataset, so a tiny test sweep gets a tiny pool).
    Dataset GeneralPool(Action<string, double> report)
    {
        var root = Path.Combine(config.OutputDir, "data", "general-pool");
        var specFile = Path.Combine(root, "dataset.yaml");
        var spec = File.Exists(specFile)
            ? DatasetSpecYaml.Load(specFile)
            : DemoDataset.RenderGeneralPool(root, seed: 0,
                config.Datasets.FirstOrDefault(d => d.Demo is not null)?.Demo ?? SweepDataset.DemoSized(config.Clip, new DemoOptions()),
                new SyncProgress<(int done, int total)>(p => report("rendering the general video pool", (double)p.done / p.total)));
        return DatasetLoader.Load(spec);
    }
}

