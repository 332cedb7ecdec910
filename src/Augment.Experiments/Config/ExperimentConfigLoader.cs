using Augment.Classifier.Models;
using Augment.Synthetic.Gate;
using Augment.Classifier;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Generator;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Augment.Experiments.Config;

/// <summary>Reads experiments.yaml and validates all of it before anything runs.</summary>
public static class ExperimentConfigLoader
{
    static readonly string[] TopKeys =
        ["experiment", "profile", "output_dir", "tracking_uri", "clip", "seeds", "ratios", "report_ratio",
         "datasets", "corpora", "generators", "generator", "classifier", "executor", "slurm"];
    static readonly string[] CorpusKeys = ["adapter", "captions", "path_field", "caption_field", "clips", "seed"];
    static readonly string[] SlurmKeys = ["partition", "account", "qos", "max_parallel", "setup", "extra_args", "generators", "cells", "report"];
    static readonly string[] SlurmResourceKeys = ["time", "cpus", "mem", "gres"];
    static readonly string[] ClipKeys = ["frames", "height", "width", "resize", "pad"];
    // The dataset keys of dataset.yaml (the data library's one list; the entry's name is its key here) plus the sweep's own.
    static readonly string[] SweepOnlyDatasetKeys = ["target_classes", "demo"];
    static readonly string[] DatasetKeys = [.. DatasetSpecYaml.Keys.Where(k => k != "name"), .. SweepOnlyDatasetKeys];
    static readonly string[] DemoKeys =
        ["classes", "train_per_class", "scarce_train_per_class", "scarce_classes", "val_per_class", "test_per_class"];
    static readonly string[] WanKeys = ["weights", "prompts", "negative", "lora", "device", "dtype", "steps", "cfg", "shift", "frames", "height", "width", "vae_tiling"];
    static readonly string[] GeneratorEntryKeys = ["backend", "label", "adapt", "adapt_on", "manifest", "model", .. WanKeys];
    static readonly string[] GeneratorSettingKeys =
        ["pretrain_pool", "autoencoder_steps", "pretrain_steps", "adapt_steps", "sample_steps", "cfg", "oversample", "gate", "device",
         "model", "autoencoder", "pretrain", "adapt", "lora", "sampler"];
    static readonly string[] EngineModelKeys = ["latent_channels", "autoencoder_width", "patch_frames", "patch_size", "dim", "depth", "heads", "mlp_ratio", "prompt_buckets"];
    static readonly string[] TrainStageKeys =
        ["steps", "batch_size", "learning_rate", "weight_decay", "ema", "cond_dropout", "shift", "time_sampling", "grad_clip", "checkpoint_every"];
    static readonly string[] LoraKeys = ["rank", "alpha", "targets"];
    static readonly string[] SamplerKeys = ["steps", "cfg", "shift", "solver"];
    static readonly string[] GateKeys =
        ["border_frame_fraction", "border_max_luma", "border_max_width", "min_sharpness", "min_luma", "max_luma",
         "min_motion", "max_flicker", "memorisation_max_bits", "max_sharpness", "max_motion", "max_blockiness",
         "calibrate", "calibrate_low_percentile", "calibrate_high_percentile", "calibrate_slack"];
    static readonly string[] ClassifierKeys =
        ["model", "width", "depth", "epochs", "batch_size", "learning_rate", "weight_decay", "warmup_epochs",
         "label_smoothing", "balance", "augment", "grad_clip", "patience", "min_epochs", "device", "precision",
         "weights", "crop", "mean", "std", "backbone_lr_mult", "frozen_stages", "norm_eval", "test_views"];

    /// <summary>outputOverride (e.g. --output) replaces output_dir and everything placed under it.</summary>
    public static ExperimentConfig Load(string path, string? outputOverride = null)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{path}: no such experiments file", full);
        return Parse(File.ReadAllText(full), full, outputOverride);
    }

    /// <summary>Parses YAML text; sourcePath names the file in errors and anchors relative paths.</summary>
    public static ExperimentConfig Parse(string yaml, string sourcePath, string? outputOverride = null)
    {
        YamlStream stream;
        try { stream = YamlFile.Parse(yaml, sourcePath); }
        catch (YamlFileException e)
        {
            throw new ConfigException(sourcePath, [new ConfigError((int)e.Line, "(syntax)", e.Problem)]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException(sourcePath, [new ConfigError(1, "(file)", "expected a mapping of settings at the top level")]);

        var f = new YamlFields();
        var baseDir = Path.GetDirectoryName(sourcePath)!;
        f.CheckKeys(root, "", TopKeys);

        ProfileSettings profile;
        try { profile = Profiles.Load(f.String(root, "", "profile") ?? Profiles.DefaultName, baseDir); }
        catch (FileNotFoundException e)
        {
            // Reported with the file's other problems; the rest is checked against the default profile.
            f.Error(YamlFields.Get(root, "profile")!, "profile", e.Message);
            profile = Profiles.Load(Profiles.DefaultName);
        }
        var outputDir = outputOverride is not null ? Path.GetFullPath(outputOverride)
            : Path.GetFullPath(Path.Combine(baseDir, f.String(root, "", "output_dir") ?? "runs/sweep"));
        var clip = ReadClip(f, f.Map(root, "", "clip"), "clip", profile.Clip);
        var seeds = ReadSeeds(f, root);
        var ratios = ReadRatios(f, root);
        double? reportRatio = null;
        if (YamlFields.Get(root, "report_ratio") is { } rr && !(rr is YamlScalarNode { Value: "best" }))
        {
            reportRatio = f.Double(rr, "report_ratio", 0);
            if (reportRatio is { } r && !ratios.Contains(r))
                f.Error(rr, "report_ratio", $"{r} is not one of the ratios [{string.Join(", ", ratios)}] (or write 'best')");
        }

        var generatorSettings = ReadGeneratorSettings(f, f.Map(root, "", "generator"), profile.Engine);
        var datasets = ReadDatasets(f, root, baseDir, outputDir, clip, sourcePath);
        var corpora = ReadCorpora(f, root, baseDir, outputDir, clip);
        var generators = ReadGenerators(f, root, baseDir, corpora, generatorSettings.Device);
        var classifier = ReadClassifier(f, f.Map(root, "", "classifier"), profile.Classifier, baseDir);
        var executor = f.Choice<Executor>(root, "", "executor") ?? Executor.Local;
        var slurm = ReadSlurm(f, f.Map(root, "", "slurm"));

        foreach (var name in generatorSettings.PretrainPool.Where(p => p != "general" && datasets.All(d => d.Name != p)))
            f.Error(YamlFields.Get(f.Map(root, "", "generator")!, "pretrain_pool")!, "generator.pretrain_pool",
                $"'{name}' is neither 'general' nor a dataset of this file");
        if (generators.Count == 0 && ratios.Count > 0 && ratios.Any(r => r > 0))
            f.Error(root, "generators", "ratios above 0 need at least one generator");

        if (f.Errors.Count > 0) throw new ConfigException(sourcePath, f.Errors);
        return new ExperimentConfig
        {
            SourcePath = sourcePath,
            Experiment = f.String(root, "", "experiment") ?? "augment",
            Profile = profile.Name,
            OutputDir = outputDir,
            TrackingUri = f.String(root, "", "tracking_uri"),
            Clip = clip,
            Seeds = seeds,
            Ratios = ratios,
            ReportRatio = reportRatio,
            Datasets = datasets,
            Generators = generators,
            Corpora = corpora,
            Classifier = classifier,
            Generator = generatorSettings,
            Executor = executor,
            Slurm = slurm,
        };
    }

    static Cluster.SlurmSettings ReadSlurm(YamlFields f, YamlMappingNode? map)
    {
        if (map is null) return new();
        f.CheckKeys(map, "slurm", SlurmKeys);
        Cluster.SlurmResources Resources(string key)
        {
            var m = f.Map(map, "slurm", key);
            if (m is null) return new();
            var path = $"slurm.{key}";
            f.CheckKeys(m, path, SlurmResourceKeys);
            return new(f.String(m, path, "time"), f.Int(m, path, "cpus", 1, 4096), f.String(m, path, "mem"), f.String(m, path, "gres"));
        }
        return new()
        {
            Partition = f.String(map, "slurm", "partition"),
            Account = f.String(map, "slurm", "account"),
            Qos = f.String(map, "slurm", "qos"),
            MaxParallel = f.Int(map, "slurm", "max_parallel", 1, 100_000) ?? 4,
            Setup = f.String(map, "slurm", "setup"),
            ExtraArgs = f.Strings(map, "slurm", "extra_args"),
            Generators = Resources("generators"),
            Cells = Resources("cells"),
            Report = Resources("report"),
        };
    }

    internal static ClipSpec ReadClip(YamlFields f, YamlMappingNode? map, string path, ClipSpec defaults)
    {
        if (map is null) return defaults;
        f.CheckKeys(map, path, ClipKeys);
        return defaults with
        {
            Frames = f.Int(map, path, "frames", 1, 512) ?? defaults.Frames,
            Height = f.Int(map, path, "height", 8, 2048) ?? defaults.Height,
            Width = f.Int(map, path, "width", 8, 2048) ?? defaults.Width,
            Resize = f.Choice<ResizeMode>(map, path, "resize") ?? defaults.Resize,
            Pad = f.Choice<PadPolicy>(map, path, "pad") ?? defaults.Pad,
        };
    }

    static List<long> ReadSeeds(YamlFields f, YamlMappingNode root)
    {
        var seq = f.Sequence(root, "", "seeds");
        if (seq is null) return [0];
        var seeds = new List<long>();
        for (int i = 0; i < seq.Children.Count; i++)
            if (f.Long(seq.Children[i], $"seeds[{i}]") is { } s)
            {
                if (seeds.Contains(s)) f.Error(seq.Children[i], $"seeds[{i}]", $"seed {s} is listed twice");
                else seeds.Add(s);
            }
        if (seq.Children.Count == 0) f.Error(seq, "seeds", "list at least one seed");
        return seeds;
    }

    static List<double> ReadRatios(YamlFields f, YamlMappingNode root)
    {
        var seq = f.Sequence(root, "", "ratios");
        if (seq is null) return [0, 1];
        var ratios = new List<double>();
        for (int i = 0; i < seq.Children.Count; i++)
            if (f.Double(seq.Children[i], $"ratios[{i}]", 0, 100) is { } r)
            {
                if (ratios.Contains(r)) f.Error(seq.Children[i], $"ratios[{i}]", $"ratio {r} is listed twice");
                else ratios.Add(r);
            }
        if (seq.Children.Count == 0) f.Error(seq, "ratios", "list at least one ratio");
        ratios.Sort();
        return ratios;
    }

    static GeneratorSettings ReadGeneratorSettings(YamlFields f, YamlMappingNode? map, GeneratorConfig profileEngine)
    {
        if (map is null) return new GeneratorSettings(["general"], profileEngine, 1.25, new GateOptions());
        const string p = "generator";
        f.CheckKeys(map, p, GeneratorSettingKeys);
        var pool = f.Strings(map, p, "pretrain_pool");
        var engine = ReadEngine(f, map, p, profileEngine);
        // Shorthands for the knobs tuned most, each the same as its nested key (autoencoder_steps = autoencoder.steps).
        int? Shorthand(string key, string nested, int? value)
        {
            if (YamlFields.Get(map, key) is not { } node) return value;
            if (f.Map(map, p, nested.Split('.')[0]) is { } section && YamlFields.Get(section, nested.Split('.')[1]) is not null)
                f.Error(node, $"{p}.{key}", $"give either {key} or {nested}, not both");
            return f.Int(map, p, key, 1);
        }
        engine = engine with
        {
            Autoencoder = engine.Autoencoder with { Steps = Shorthand("autoencoder_steps", "autoencoder.steps", engine.Autoencoder.Steps)!.Value },
            Pretrain = engine.Pretrain with { Steps = Shorthand("pretrain_steps", "pretrain.steps", engine.Pretrain.Steps)!.Value },
            Adapt = engine.Adapt with { Steps = Shorthand("adapt_steps", "adapt.steps", engine.Adapt.Steps)!.Value },
            Sampler = engine.Sampler with
            {
                Steps = Shorthand("sample_steps", "sampler.steps", engine.Sampler.Steps)!.Value,
                Cfg = f.Double(map, p, "cfg", 0, 100) ?? engine.Sampler.Cfg,
            },
        };
        return new GeneratorSettings(pool.Count > 0 ? pool : ["general"], engine, f.Double(map, p, "oversample", 1, 10) ?? 1.25,
            ReadGate(f, f.Map(map, p, "gate")))
        {
            Device = f.OneOf(map, p, "device", "auto", "cpu", "cuda") ?? "auto",
        };
    }

    /// <summary>The native engine's model, training stages, LoRA and sampler: what a profile sets and experiments.yaml may override.</summary>
    internal static GeneratorConfig ReadEngine(YamlFields f, YamlMappingNode? map, string p, GeneratorConfig d)
    {
        if (map is null) return d;
        var model = d.Model;
        if (f.Map(map, p, "model") is { } m)
        {
            var mp = $"{p}.model";
            f.CheckKeys(m, mp, EngineModelKeys);
            model = model with
            {
                LatentChannels = f.Int(m, mp, "latent_channels", 3, 1024) ?? model.LatentChannels,
                AutoencoderWidth = f.Int(m, mp, "autoencoder_width", 4, 4096) ?? model.AutoencoderWidth,
                PatchFrames = f.Int(m, mp, "patch_frames", 1, 64) ?? model.PatchFrames,
                PatchSize = f.Int(m, mp, "patch_size", 1, 64) ?? model.PatchSize,
                Dim = f.Int(m, mp, "dim", 1, 65536) ?? model.Dim,
                Depth = f.Int(m, mp, "depth", 1, 1024) ?? model.Depth,
                Heads = f.Int(m, mp, "heads", 1, 1024) ?? model.Heads,
                MlpRatio = f.Int(m, mp, "mlp_ratio", 1, 64) ?? model.MlpRatio,
                PromptBuckets = f.Int(m, mp, "prompt_buckets", 2, 1 << 24) ?? model.PromptBuckets,
            };
        }
        TrainConfig Stage(string key, TrainConfig s)
        {
            if (f.Map(map, p, key) is not { } t) return s;
            var tp = $"{p}.{key}";
            f.CheckKeys(t, tp, TrainStageKeys);
            return s with
            {
                Steps = f.Int(t, tp, "steps", 1) ?? s.Steps,
                BatchSize = f.Int(t, tp, "batch_size", 1, 4096) ?? s.BatchSize,
                LearningRate = f.Double(t, tp, "learning_rate", 1e-12, 10) ?? s.LearningRate,
                WeightDecay = f.Double(t, tp, "weight_decay", 0, 10) ?? s.WeightDecay,
                Ema = f.Double(t, tp, "ema", 0, 1) ?? s.Ema,
                CondDropout = f.Double(t, tp, "cond_dropout", 0, 1) ?? s.CondDropout,
                Shift = f.Double(t, tp, "shift", 1e-3, 1000) ?? s.Shift,
                TimeSampling = f.OneOf(t, tp, "time_sampling", "logit-normal", "uniform") ?? s.TimeSampling,
                GradClip = f.Double(t, tp, "grad_clip", 0, 1e6) ?? s.GradClip,
                CheckpointEvery = f.Int(t, tp, "checkpoint_every", 1) ?? s.CheckpointEvery,
            };
        }
        var lora = d.Lora;
        if (f.Map(map, p, "lora") is { } l)
        {
            var lp = $"{p}.lora";
            f.CheckKeys(l, lp, LoraKeys);
            var targets = f.Strings(l, lp, "targets");
            foreach (var t in targets.Where(t => !Augment.Generator.Lora.KnownTargets.Contains(t)))
                f.Error(YamlFields.Get(l, "targets")!, $"{lp}.targets", $"'{t}' is not one of {string.Join(", ", Augment.Generator.Lora.KnownTargets)}");
            lora = lora with
            {
                Rank = f.Int(l, lp, "rank", 1, 4096) ?? lora.Rank,
                Alpha = f.Double(l, lp, "alpha", 1e-6, 1e6) ?? lora.Alpha,
                Targets = targets.Count > 0 ? targets : lora.Targets,
            };
        }
        var sampler = d.Sampler;
        if (f.Map(map, p, "sampler") is { } s)
        {
            var sp = $"{p}.sampler";
            f.CheckKeys(s, sp, SamplerKeys);
            sampler = sampler with
            {
                Steps = f.Int(s, sp, "steps", 1, 10_000) ?? sampler.Steps,
                Cfg = f.Double(s, sp, "cfg", 0, 100) ?? sampler.Cfg,
                Shift = f.Double(s, sp, "shift", 1e-3, 1000) ?? sampler.Shift,
                Solver = f.OneOf(s, sp, "solver", "euler", "heun") ?? sampler.Solver,
            };
        }
        return d with
        {
            Model = model, Autoencoder = Stage("autoencoder", d.Autoencoder), Pretrain = Stage("pretrain", d.Pretrain),
            Adapt = Stage("adapt", d.Adapt), Lora = lora, Sampler = sampler,
        };
    }

    static GateOptions ReadGate(YamlFields f, YamlMappingNode? map)
    {
        var d = new GateOptions();
        if (map is null) return d;
        const string p = "generator.gate";
        f.CheckKeys(map, p, GateKeys);
        return new GateOptions
        {
            BorderFrameFraction = f.Double(map, p, "border_frame_fraction", 0, 1) ?? d.BorderFrameFraction,
            BorderMaxLuma = f.Double(map, p, "border_max_luma", 0, 255) ?? d.BorderMaxLuma,
            BorderMaxWidth = f.Double(map, p, "border_max_width", 0, 1) ?? d.BorderMaxWidth,
            MinSharpness = f.Double(map, p, "min_sharpness", 0) ?? d.MinSharpness,
            MinLuma = f.Double(map, p, "min_luma", 0, 255) ?? d.MinLuma,
            MaxLuma = f.Double(map, p, "max_luma", 0, 255) ?? d.MaxLuma,
            MinMotion = f.Double(map, p, "min_motion", 0) ?? d.MinMotion,
            MaxFlicker = f.Double(map, p, "max_flicker", 0) ?? d.MaxFlicker,
            MemorisationMaxBits = f.Double(map, p, "memorisation_max_bits", 0, 64) ?? d.MemorisationMaxBits,
            MaxSharpness = f.Double(map, p, "max_sharpness", 0),
            MaxMotion = f.Double(map, p, "max_motion", 0),
            MaxBlockiness = f.Double(map, p, "max_blockiness", 1),
            Calibrate = f.Bool(map, p, "calibrate") ?? d.Calibrate,
            CalibrationLow = f.Double(map, p, "calibrate_low_percentile", 0, 100) ?? d.CalibrationLow,
            CalibrationHigh = f.Double(map, p, "calibrate_high_percentile", 0, 100) ?? d.CalibrationHigh,
            CalibrationSlack = f.Double(map, p, "calibrate_slack", 0, 10) ?? d.CalibrationSlack,
        };
    }

    static List<DatasetEntry> ReadDatasets(YamlFields f, YamlMappingNode root, string baseDir, string outputDir, ClipSpec clip, string sourcePath)
    {
        var list = new List<DatasetEntry>();
        var map = f.Map(root, "", "datasets");
        if (map is null)
        {
            f.Error(root, "datasets", "missing: name at least one dataset (e.g. the embedded demo: `demo: {adapter: demo}`)");
            return list;
        }
        foreach (var (k, v) in map.Children)
        {
            var name = ((YamlScalarNode)k).Value ?? "";
            var path = $"datasets.{name}";
            if (!ValidName(name)) { f.Error(k, path, "names may use letters, digits, '-' and '_' only"); continue; }
            if (v is not YamlMappingNode ds) { f.Error(v, path, "expected the dataset's keys (adapter, root, ...)"); continue; }
            f.CheckKeys(ds, path, DatasetKeys);
            var adapter = f.String(ds, path, "adapter");
            if (adapter is null) { f.Error(ds, $"{path}.adapter", "missing (demo | medvidcl | hyperkvasir | surgvisdom | folder | manifest)"); continue; }
            bool isDemo = adapter == "demo";
            var rootDir = f.String(ds, path, "root");
            if (rootDir is null && !isDemo) f.Error(ds, $"{path}.root", "missing: the dataset's folder");
            var resolvedRoot = Path.GetFullPath(Path.Combine(baseDir, rootDir ?? Path.Combine(outputDir, "data", name)));
            var seed = YamlFields.Get(ds, "seed") is { } s ? f.Long(s, $"{path}.seed") ?? 0 : 0;
            var demoMap = f.Map(ds, path, "demo");
            if (demoMap is not null && !isDemo) f.Error(demoMap, $"{path}.demo", "applies only to adapter: demo");
            var demo = isDemo ? ReadDemo(f, demoMap, $"{path}.demo", clip) : null;
            var specNode = new YamlMappingNode(ds.Children.Where(kv => !SweepOnlyDatasetKeys.Contains(((YamlScalarNode)kv.Key).Value)));
            var entry = new DatasetEntry(name, isDemo, resolvedRoot, specNode, baseDir, f.Strings(ds, path, "target_classes"), demo, seed);
            if (!isDemo && rootDir is not null)
            {
                // The data library owns the dataset keys; its message already names key and line.
                try { entry.ToSpec(sourcePath); }
                catch (DatasetSpecException e)
                {
                    var problem = e.Message[(e.Message.IndexOf($"{e.Key}: ", StringComparison.Ordinal) + e.Key.Length + 2)..];
                    f.Errors.Add(new ConfigError(e.Line > 0 ? e.Line : (int)ds.Start.Line, $"{path}.{e.Key}", problem));
                    continue;
                }
            }
            list.Add(entry);
        }
        if (list.Count == 0 && f.Errors.Count == 0) f.Error(map, "datasets", "name at least one dataset");
        return list;
    }

    static DemoOptions ReadDemo(YamlFields f, YamlMappingNode? map, string path, ClipSpec clip)
    {
        // Rendered at the sweep's clip size so decoding does no resizing.
        var o = new DemoOptions { Frames = clip.Frames, Size = Math.Max(clip.Height, clip.Width) };
        if (map is null) return o;
        f.CheckKeys(map, path, DemoKeys);
        return o with
        {
            Classes = f.Int(map, path, "classes", 2, 5) ?? o.Classes,
            TrainPerClass = f.Int(map, path, "train_per_class", 1, 10_000) ?? o.TrainPerClass,
            ScarceTrainPerClass = f.Int(map, path, "scarce_train_per_class", 1, 10_000) ?? o.ScarceTrainPerClass,
            ScarceClasses = f.Int(map, path, "scarce_classes", 0, 4) ?? o.ScarceClasses,
            ValPerClass = f.Int(map, path, "val_per_class", 1, 10_000) ?? o.ValPerClass,
            TestPerClass = f.Int(map, path, "test_per_class", 1, 10_000) ?? o.TestPerClass,
        };
    }

    /// <summary>Demo corpora are rendered under &lt;output_dir&gt;/data/corpus-&lt;name&gt;/, in a folder named by what
    /// they are rendered from (seed, size, clip shape), so other settings render anew; the others name their captions file.</summary>
    static List<CorpusEntry> ReadCorpora(YamlFields f, YamlMappingNode root, string baseDir, string outputDir, ClipSpec clip)
    {
        var list = new List<CorpusEntry>();
        if (f.Map(root, "", "corpora") is not { } map) return list;
        foreach (var (k, v) in map.Children)
        {
            var name = ((YamlScalarNode)k).Value ?? "";
            var path = $"corpora.{name}";
            if (!ValidName(name)) { f.Error(k, path, "names may use letters, digits, '-' and '_' only"); continue; }
            if (v is not YamlMappingNode c) { f.Error(v, path, "expected the corpus's keys (captions, or adapter: demo)"); continue; }
            f.CheckKeys(c, path, CorpusKeys);
            var adapter = f.OneOf(c, path, "adapter", "demo");
            var captions = f.String(c, path, "captions");
            bool demo = adapter == "demo";
            if (demo == (captions is not null)) { f.Error(c, path, "give either captions (a .csv path,caption or .jsonl/.json file) or adapter: demo"); continue; }
            foreach (var key in demo ? new[] { "path_field", "caption_field" } : ["clips", "seed"])
                if (YamlFields.Get(c, key) is { } extra) f.Error(extra, $"{path}.{key}", demo ? "applies only to a captions file" : "applies only to adapter: demo");
            int clips = f.Int(c, path, "clips", 1, 1_000_000) ?? 60;
            long seed = YamlFields.Get(c, "seed") is { } s ? f.Long(s, $"{path}.seed") ?? 1 : 1;
            var rendered = Path.Combine(outputDir, "data", $"corpus-{name}", $"seed{seed}-{clips}clips-{clip.Frames}x{clip.Height}x{clip.Width}");
            list.Add(new CorpusEntry(name, demo,
                demo ? Path.Combine(rendered, Augment.Data.Datasets.DemoDataset.CorpusCaptions) : Path.GetFullPath(Path.Combine(baseDir, captions!)),
                f.String(c, path, "path_field") ?? CaptionedCorpus.DefaultPathField, f.String(c, path, "caption_field") ?? CaptionedCorpus.DefaultCaptionField,
                clips, seed));
        }
        return list;
    }

    static List<GeneratorEntry> ReadGenerators(YamlFields f, YamlMappingNode root, string baseDir, List<CorpusEntry> corpora, string device)
    {
        var list = new List<GeneratorEntry>();
        var map = f.Map(root, "", "generators");
        if (map is null) return list;
        foreach (var (k, v) in map.Children)
        {
            var name = ((YamlScalarNode)k).Value ?? "";
            var path = $"generators.{name}";
            if (!ValidName(name)) { f.Error(k, path, "names may use letters, digits, '-' and '_' only"); continue; }
            if (v is not YamlMappingNode g) { f.Error(v, path, "expected the generator's keys (backend, ...)"); continue; }
            bool reservedName = name == "real";
            f.CheckKeys(g, path, GeneratorEntryKeys);
            var backend = f.Choice<GeneratorBackend>(g, path, "backend");
            if (backend is null)
            {
                if (YamlFields.Get(g, "backend") is null) f.Error(g, $"{path}.backend", "missing (native | import | onnx | holdout | wan | none)");
                continue;
            }
            var label = f.String(g, path, "label") ?? name;
            string? Required(string key, string what)
            {
                var value = f.String(g, path, key);
                if (value is null) { f.Error(g, $"{path}.{key}", $"missing: {what}"); return null; }
                return Path.GetFullPath(Path.Combine(baseDir, value));
            }
            var entry = backend switch
            {
                GeneratorBackend.Native => new GeneratorEntry(name, label, backend.Value, Adapt: f.Bool(g, path, "adapt") ?? false)
                {
                    AdaptOn = f.Strings(g, path, "adapt_on"),
                },
                GeneratorBackend.Import => new GeneratorEntry(name, label, backend.Value, Manifest: Required("manifest", "the CSV listing the imported clips (path,label[,prompt,seed])")),
                GeneratorBackend.Onnx => new GeneratorEntry(name, label, backend.Value, Model: Required("model", "the exported denoiser (.onnx)")),
                GeneratorBackend.Holdout => new GeneratorEntry(name, label, backend.Value),
                GeneratorBackend.Wan => new GeneratorEntry(name, label, backend.Value, Wan: ReadWan(f, g, path, baseDir, device)),
                _ => new GeneratorEntry(name, label == name ? "Real only" : label, backend.Value),
            };
            if (entry.AdaptOn.Count > 0)
            {
                var node = YamlFields.Get(g, "adapt_on")!;
                foreach (var corpus in entry.AdaptOn.Where(n => corpora.All(c => c.Name != n)))
                    f.Error(node, $"{path}.adapt_on", $"'{corpus}' is not a corpus of this file (corpora: {(corpora.Count == 0 ? "none" : string.Join(", ", corpora.Select(c => c.Name)))})");
                if (entry.Adapt) f.Error(node, $"{path}.adapt_on", "adapt: true (the dataset's training split) and adapt_on (corpora) are two generators; list them as two");
            }
            foreach (var key in (string[])["adapt", "adapt_on", "manifest", "model", .. WanKeys])
                if (YamlFields.Get(g, key) is { } extra && !Uses(backend.Value, key))
                    f.Error(extra, $"{path}.{key}", $"does not apply to backend {backend.Value.ToString().ToLowerInvariant()}");
            if (reservedName && backend != GeneratorBackend.None)
                f.Error(k, path, "'real' names the real-only baseline; give this generator another name");
            list.Add(entry);
        }
        if (list.Count(g => g.Backend == GeneratorBackend.None) > 1)
            f.Error(map, "generators", "list at most one generator with backend none (the real-only baseline)");
        return list;
    }

    static bool Uses(GeneratorBackend backend, string key) => (backend, key) switch
    {
        (GeneratorBackend.Native, "adapt" or "adapt_on") or (GeneratorBackend.Import, "manifest") or (GeneratorBackend.Onnx, "model") => true,
        (GeneratorBackend.Wan, _) => WanKeys.Contains(key),
        _ => false,
    };

    /// <summary>A wan generator's keys; the folder's completeness is checked when it loads (errors name the missing file).</summary>
    static Augment.Generator.Backends.WanOptions? ReadWan(YamlFields f, YamlMappingNode g, string path, string baseDir, string device)
    {
        string? PathOf(string key) => f.String(g, path, key) is { } v ? Path.GetFullPath(Path.Combine(baseDir, v)) : null;
        var weights = PathOf("weights");
        var prompts = PathOf("prompts");
        if (weights is null) f.Error(g, $"{path}.weights", "missing: the Wan2.1 diffusers folder (model_index.json, transformer/, vae/, scheduler/)");
        if (prompts is null) f.Error(g, $"{path}.prompts", "missing: the prompt-embeddings file (.safetensors, one [L,4096] tensor per prompt, its text in the metadata)");
        var negative = f.String(g, path, "negative");
        var cfg = f.Double(g, path, "cfg", 0, 100) ?? 5.0;
        if (negative is null && cfg != 1.0)
            f.Error(YamlFields.Get(g, "cfg") ?? g, $"{path}.cfg", $"classifier-free guidance (cfg {cfg}) needs a negative prompt: name its embedding under negative, or set cfg: 1");
        if (weights is null || prompts is null) return null;
        return new(weights, prompts, negative, PathOf("lora"),
            Device: f.OneOf(g, path, "device", "auto", "cpu", "cuda") ?? device,
            Dtype: f.OneOf(g, path, "dtype", "float32", "bfloat16") ?? "float32",
            Steps: f.Int(g, path, "steps", 1, 1000) ?? 50, Cfg: cfg, Shift: f.Double(g, path, "shift", 0.01, 100),
            Frames: f.Int(g, path, "frames", 1, 1025), Height: f.Int(g, path, "height", 16, 4096), Width: f.Int(g, path, "width", 16, 4096),
            VaeTiling: f.Bool(g, path, "vae_tiling") ?? true);
    }

    /// <summary>The classifier section; a relative weights path is taken from the config file's folder.</summary>
    internal static ClassifierOptions ReadClassifier(YamlFields f, YamlMappingNode? map, ClassifierOptions defaults, string baseDir)
    {
        if (map is null) return defaults;
        const string p = "classifier";
        f.CheckKeys(map, p, ClassifierKeys);
        var model = f.OneOf(map, p, "model", [.. ClassifierModels.Names]);
        var balance = f.OneOf(map, p, "balance", "sampler", "weights", "none");
        var device = f.OneOf(map, p, "device", "auto", "cpu", "cuda");
        var precision = f.OneOf(map, p, "precision", "auto", "fp32", "bf16-mixed");
        var weights = f.String(map, p, "weights") is { } w ? Path.GetFullPath(Path.Combine(baseDir, w)) : defaults.Weights;
        if (weights is not null && !File.Exists(weights) && map.Children.TryGetValue(new YamlScalarNode("weights"), out var weightsNode))
            f.Error(weightsNode, $"{p}.weights", $"{weights}: no such checkpoint file");
        var views = f.Map(map, p, "test_views");
        if (views is not null) f.CheckKeys(views, $"{p}.test_views", ["clips", "crops"]);
        var crops = views is null ? null : f.Int(views, $"{p}.test_views", "crops", 1, 3);
        if (crops == 2 && views!.Children.TryGetValue(new YamlScalarNode("crops"), out var cropsNode))
            f.Error(cropsNode, $"{p}.test_views.crops", "1 (centre) or 3 (ThreeCrop: both ends and the centre)");
        var options = defaults with
        {
            Weights = weights,
            Crop = f.Int(map, p, "crop", 8, 1024) ?? defaults.Crop,
            Mean = Rgb(f, map, p, "mean", 0, 1) ?? defaults.Mean,
            Std = Rgb(f, map, p, "std", 1e-6, 10) ?? defaults.Std,
            BackboneLrMultiplier = f.Double(map, p, "backbone_lr_mult", 0, 100) ?? defaults.BackboneLrMultiplier,
            FrozenStages = f.Int(map, p, "frozen_stages", -1, 64) ?? defaults.FrozenStages,
            NormEval = f.Bool(map, p, "norm_eval") ?? defaults.NormEval,
            TestClips = (views is null ? null : f.Int(views, $"{p}.test_views", "clips", 1, 30)) ?? defaults.TestClips,
            TestCrops = crops ?? defaults.TestCrops,
            Model = model ?? defaults.Model,
            Width = f.Int(map, p, "width", 1, 1024) ?? defaults.Width,
            Depth = f.Int(map, p, "depth", 1, 64) ?? defaults.Depth,
            Epochs = f.Int(map, p, "epochs", 1, 10_000) ?? defaults.Epochs,
            BatchSize = f.Int(map, p, "batch_size", 1, 4096) ?? defaults.BatchSize,
            LearningRate = f.Double(map, p, "learning_rate", 1e-9, 10) ?? defaults.LearningRate,
            WeightDecay = f.Double(map, p, "weight_decay", 0, 10) ?? defaults.WeightDecay,
            WarmupEpochs = f.Int(map, p, "warmup_epochs", 0, 10_000) ?? defaults.WarmupEpochs,
            LabelSmoothing = f.Double(map, p, "label_smoothing", 0, 0.99) ?? defaults.LabelSmoothing,
            Balance = balance ?? defaults.Balance,
            Augment = f.Bool(map, p, "augment") ?? defaults.Augment,
            GradClip = f.Double(map, p, "grad_clip", 0, 1e6) ?? defaults.GradClip,
            Patience = f.Int(map, p, "patience", 1, 10_000) ?? defaults.Patience,
            MinEpochs = f.Int(map, p, "min_epochs", 0, 10_000) ?? defaults.MinEpochs,
            Device = device ?? defaults.Device,
            Precision = precision ?? defaults.Precision,
        };
        // Checked here, not when the first cell trains: the fine-tuning keys only mean something for torchvision's models.
        if (Augment.Classifier.Models.Preprocessing.For(options.Model) is null
            && (options.Weights is not null || options.Crop is not null || options.Mean is not null || options.Std is not null
                || options.FrozenStages >= 0 || options.NormEval || options.BackboneLrMultiplier != 1.0))
            f.Error(map, p, $"weights, crop, mean, std, frozen_stages, norm_eval and backbone_lr_mult need a pretrained architecture (r3d_18, mc3_18, r2plus1d_18, s3d, resnet18), not model '{options.Model}'");
        return options;
    }

    /// <summary>Three per-channel values (R, G, B) in [min, max], or null when the key is absent.</summary>
    static float[]? Rgb(YamlFields f, YamlMappingNode map, string path, string key, double min, double max)
    {
        var items = f.Strings(map, path, key);
        if (items.Count == 0) return null;
        var values = items.Select(v => double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToArray();
        if (values.Length == 3 && values.All(v => v >= min && v <= max)) return values.Select(v => (float)v).ToArray();
        f.Error(map.Children[new YamlScalarNode(key)], $"{path}.{key}", $"expected three numbers in [{min}, {max}] (R, G, B on [0,1] pixels), got [{string.Join(", ", items)}]");
        return null;
    }

    static bool ValidName(string name) => name.Length > 0 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
