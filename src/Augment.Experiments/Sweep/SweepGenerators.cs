using System.Diagnostics;
using System.Text.Json;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Experiments.Cluster;
using Augment.Experiments.Config;
using Augment.Generator;
using Augment.Generator.Models.Native;
using Augment.Generator.Training;
using Augment.Synthetic;

namespace Augment.Experiments.Sweep;

/// <summary>
/// The generator side of a sweep, each step done at most once and reused while its fingerprint holds (SweepStages): the
/// base model pretrained once per sweep, one LoRA adapter per dataset, one generation per (dataset, generator, seed)
/// sized for the largest ratio, and its gating. Interrupted steps resume from their own partial files (training
/// checkpoints, per-clip sidecars of a generation); a step whose inputs changed starts again from nothing. Every step
/// runs through the <see cref="StageRunner"/>: claimed, reused or begun, and failed once per sweep.
/// </summary>
public sealed class SweepGenerators(ExperimentConfig config, IReadOnlyDictionary<string, SweepDataset> datasets, ClipCache cache,
    SweepStages stages, GeneratorConfig generatorConfig, StageRunner runner)
{
    // What the backends (Augment.Experiments.Backends) open their generators and run their own stages with.
    internal ExperimentConfig Config => config;
    internal SweepStages Stages => stages;
    internal StageRunner Runner => runner;
    internal ClipCache Cache => cache;
    internal GeneratorConfig EngineConfig => generatorConfig;
    internal SweepDataset Dataset(string name) => datasets[name];

    /// <summary>Generation runs actually executed by this instance (not skipped because already done).</summary>
    public int GenerationsRun { get; private set; }

    public static GeneratorConfig BuildConfig(ExperimentConfig config)
    {
        // The engine generates at the sweep's clip size: no resampling between generated and real clips.
        return config.Generator.Engine.AtClipSize(config.Clip) with { Seed = config.Seeds[0], Device = config.Generator.Device };
    }

    public string EnsureBase(Action<string, double> report, CancellationToken cancel)
    {
        var checkpoint = Path.Combine(stages.BaseDir, "base.ckpt");
        return runner.Run(stages.Base, stages.BaseDir, stages.BasePrint, () => checkpoint, () => TrainBase(checkpoint, report, cancel), report, cancel);
    }

    string TrainBase(string checkpoint, Action<string, double> report, CancellationToken cancel)
    {
        var pool = config.Generator.PretrainPool.Select(name => name == "general" ? GeneralPool(report) : datasets[name].Data).ToList();
        var clock = Stopwatch.StartNew();
        var result = GeneratorTraining.Pretrain(pool, config.Clip, cache, generatorConfig, checkpoint,
            new SyncProgress<TrainProgress>(p => report($"{(p.Stage == "autoencoder" ? "training the base's video autoencoder" : "pretraining base generator")} " +
                $"(step {p.Step}/{p.TotalSteps}, loss {p.Loss:0.000}{Skips(p)})", (double)p.Step / p.TotalSteps)), cancel);
        var autoencoder = TensorArchive.ReadHeader<AutoencoderHeader>(GeneratorTraining.AutoencoderPath(checkpoint));
        AtomicFile.WriteJson(Path.Combine(stages.BaseDir, SweepStages.BaseMarker), new GeneratorTrainingRecord(result.Steps, result.FinalLoss,
            result.SkippedSteps, result.Clips, pool.Select(d => d.Name).ToList(), clock.Elapsed.TotalSeconds, FileHash.Sha256(checkpoint))
        {
            AutoencoderSteps = autoencoder.Step, AutoencoderSkippedSteps = autoencoder.SkippedSteps, AutoencoderReconstruction = autoencoder.Reconstruction,
        });
        return checkpoint;
    }

    public string EnsureAdapter(string dataset, Action<string, double> report, CancellationToken cancel)
    {
        var baseCheckpoint = EnsureBase(report, cancel);
        var dir = stages.AdapterDir(dataset);
        var adapter = Path.Combine(dir, "adapter.ckpt");
        return runner.Run(() => stages.Adapter(dataset), dir, () => stages.AdapterPrint(dataset)!, () => adapter, () =>
        {
            var clock = Stopwatch.StartNew();
            var result = GeneratorTraining.Adapt(datasets[dataset].Data, config.Clip, cache, generatorConfig, baseCheckpoint, adapter,
                new SyncProgress<TrainProgress>(p => report($"adapting LoRA to {dataset} (step {p.Step}/{p.TotalSteps}, loss {p.Loss:0.000}{Skips(p)})", (double)p.Step / p.TotalSteps)), cancel);
            AtomicFile.WriteJson(Path.Combine(dir, SweepStages.AdapterMarker), new GeneratorTrainingRecord(result.Steps, result.FinalLoss,
                result.SkippedSteps, result.Clips, [dataset], clock.Elapsed.TotalSeconds, FileHash.Sha256(adapter)));
            return adapter;
        }, report, cancel);
    }

    /// <summary>The adapter of a set of corpora (adapt_on), trained once and used for every dataset; a demo corpus is
    /// rendered first.</summary>
    public string EnsureCorpusAdapter(IReadOnlyList<string> corpora, Action<string, double> report, CancellationToken cancel)
    {
        var baseCheckpoint = EnsureBase(report, cancel);
        var dir = stages.CorpusAdapterDir(corpora);
        var adapter = Path.Combine(dir, "adapter.ckpt");
        return runner.Run(() => stages.CorpusAdapter(corpora), dir, () => stages.CorpusAdapterPrint(corpora)!, () => adapter, () =>
        {
            var clock = Stopwatch.StartNew();
            var loaded = corpora.Select(name => LoadCorpus(config.Corpora.First(c => c.Name == name), report)).ToList();
            var result = GeneratorTraining.AdaptToCorpora(loaded, config.Clip, cache, generatorConfig, baseCheckpoint, adapter,
                new SyncProgress<TrainProgress>(p => report($"adapting LoRA to corpus {SweepStages.CorpusKey(corpora)} (step {p.Step}/{p.TotalSteps}, loss {p.Loss:0.000}{Skips(p)})", (double)p.Step / p.TotalSteps)), cancel);
            AtomicFile.WriteJson(Path.Combine(dir, SweepStages.AdapterMarker), new GeneratorTrainingRecord(result.Steps, result.FinalLoss,
                result.SkippedSteps, result.Clips, [.. corpora.Select(c => "corpus:" + c)], clock.Elapsed.TotalSeconds, FileHash.Sha256(adapter)));
            return adapter;
        }, report, cancel);
    }

    // A demo corpus is rendered once (its captions file is written last, so its presence means a full render).
    CaptionedCorpus LoadCorpus(CorpusEntry corpus, Action<string, double> report)
    {
        if (corpus.IsDemo && !File.Exists(corpus.CaptionsFile))
            DemoDataset.RenderCorpus(corpus.Root, corpus.Seed, corpus.Clips, config.Clip.Frames, Math.Max(config.Clip.Height, config.Clip.Width),
                new SyncProgress<(int done, int total)>(p => report($"rendering the captioned corpus {corpus.Name}", (double)p.done / p.total)));
        return CaptionedCorpus.Load(corpus.Name, corpus.CaptionsFile, corpus.PathField, corpus.CaptionField);
    }

    public static string Millions(long n) => (n / 1e6).ToString(n < 10_000_000 ? "0.00M" : "0M", System.Globalization.CultureInfo.InvariantCulture);

    public static long BaseParameters(NativeModelConfig model)
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
        // Parents first, so the generation's fingerprint can name what it samples from.
        entry.Backend.EnsureParents(entry, plan.Dataset, this, report, cancel);
        return runner.Run(() => stages.Generation(plan), plan.Dir, () => stages.GenerationPrint(plan)!, () => GenerationRecord.TryRead(plan.Dir)!, () =>
        {
            var ds = datasets[plan.Dataset];
            var trainCounts = ds.Data.Split(Splits.Train).GroupBy(c => c.Label).ToDictionary(g => g.Key, g => g.Count());
            var perClass = ds.TargetClasses.ToDictionary(c => c,
                c => (int)Math.Ceiling(plan.MaxRatio * trainCounts.GetValueOrDefault(c) * config.Generator.Oversample));
            var generator = entry.Backend.Open(entry, plan.Dataset, this, report, cancel);
            try
            {
                var clock = Stopwatch.StartNew();
                GenerationsRun++;
                var result = generator.Generate(new GenerationRequest(ds.Data, config.Clip, perClass, plan.Seed, plan.Dir),
                    new SyncProgress<double>(f => report($"generating {entry.Label} clips for {plan.Dataset} (seed {plan.Seed})", f)), cancel);
                var record = new GenerationRecord
                {
                    Dataset = plan.Dataset, Generator = plan.Generator, Seed = plan.Seed, MaxRatio = plan.MaxRatio,
                    Requested = perClass, Made = result.Made, Failed = result.Failed, Clips = Path.GetRelativePath(plan.Dir, result.ClipsPath),
                    Seconds = clock.Elapsed.TotalSeconds, FinishedAt = DateTimeOffset.UtcNow,
                };
                AtomicFile.WriteJson(Path.Combine(plan.Dir, GenerationRecord.FileName), record);
                return record;
            }
            finally
            {
                (generator as IDisposable)?.Dispose();
            }
        }, report, cancel);
    }

    /// <summary>The generation's clips judged by the quality gate; the manifest the cells mix from.</summary>
    public GatingRecord EnsureGating(GenerationPlan plan, Action<string, double> report, CancellationToken cancel)
    {
        var generation = EnsureGeneration(plan, report, cancel);
        return runner.Run(() => stages.Gating(plan), plan.GatingDir, () => stages.GatingPrint(plan)!, () => GatingRecord.TryRead(plan.GatingDir)!, () =>
        {
            var clock = Stopwatch.StartNew();
            var label = config.Generators.First(g => g.Name == plan.Generator).Label;
            var result = GateRun.Execute(Path.Combine(plan.Dir, generation.Clips), datasets[plan.Dataset].Data, config.Clip, cache, config.Generator.Gate,
                plan.GatingDir, new SyncProgress<double>(f => report($"gating {label} clips for {plan.Dataset} (seed {plan.Seed})", f)), cancel);
            var record = new GatingRecord
            {
                Accepted = result.Accepted, Rejected = result.Rejected, Manifest = Path.GetRelativePath(plan.GatingDir, result.ManifestPath),
                ContactSheets = result.ContactSheets.Select(s => Path.GetRelativePath(plan.GatingDir, s)).ToList(),
                Seconds = clock.Elapsed.TotalSeconds, FinishedAt = DateTimeOffset.UtcNow,
            };
            AtomicFile.WriteJson(Path.Combine(plan.GatingDir, GatingRecord.FileName), record);
            return record;
        }, report, cancel);
    }

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

