using System.Diagnostics;
using Augment.Data;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Generator.Training;

namespace Augment.Experiments.Backends;

/// <summary>
/// <c>backend: wan</c>: an official Wan2.1 diffusers folder with precomputed prompt embeddings, and a PEFT LoRA given as
/// a file (<c>lora:</c>) or trained in the sweep on each dataset's training clips (<c>adapt: true</c>, a stage of its
/// own: <see cref="WanAdaptation"/>, in the generator's device and dtype).
/// </summary>
public sealed class WanBackend : GeneratorBackend
{
    // adapt_steps / adapt_learning_rate / lora_rank / lora_alpha: the native engine's generator.adapt.steps,
    // .learning_rate and generator.lora.rank, .alpha, for the LoRA a wan generator trains with adapt: true.
    static readonly string[] AdaptKeys = ["adapt_steps", "adapt_learning_rate", "lora_rank", "lora_alpha"];

    public override string Name => "wan";
    public override IReadOnlyList<string> Keys { get; } =
        ["weights", "prompts", "negative", "lora", "device", "dtype", "steps", "cfg", "shift", "frames", "height", "width", "vae_tiling", "adapt", .. AdaptKeys];

    /// <summary>The folder's completeness is checked when it loads (errors name the missing file).</summary>
    internal override GeneratorEntry Read(GeneratorSource s)
    {
        var (f, g, path) = (s.F, s.Node, s.Path);
        var weights = s.PathOf("weights");
        var prompts = s.PathOf("prompts");
        if (weights is null) f.Error(g, $"{path}.weights", "missing: the Wan2.1 diffusers folder (model_index.json, transformer/, vae/, scheduler/)");
        if (prompts is null) f.Error(g, $"{path}.prompts", "missing: the prompt-embeddings file (.safetensors, one [L,4096] tensor per prompt, its text in the metadata)");
        var negative = f.String(g, path, "negative");
        var cfg = f.Double(g, path, "cfg", 0, 100) ?? 5.0;
        if (negative is null && cfg != 1.0)
            f.Error(YamlFields.Get(g, "cfg") ?? g, $"{path}.cfg", $"classifier-free guidance (cfg {cfg}) needs a negative prompt: name its embedding under negative, or set cfg: 1");
        // adapt: true trains the LoRA in the sweep; its settings mean nothing without it.
        bool adapt = f.Bool(g, path, "adapt") ?? false;
        if (adapt && YamlFields.Get(g, "lora") is { } loraNode)
            f.Error(loraNode, $"{path}.lora", "adapt: true trains this generator's LoRA in the sweep; give either lora (a file) or adapt: true, not both");
        if (!adapt)
            foreach (var key in AdaptKeys)
                if (YamlFields.Get(g, key) is { } extra) f.Error(extra, $"{path}.{key}", "applies only with adapt: true (the LoRA trained in the sweep)");
        var rank = f.Int(g, path, "lora_rank", 1, 4096) ?? 32;
        var train = !adapt ? null : new WanLoraTrainingConfig
        {
            Rank = rank,
            Alpha = f.Double(g, path, "lora_alpha", 1e-6, 1e6) ?? rank, // PEFT's usual alpha = r
            Steps = f.Int(g, path, "adapt_steps", 1) ?? 1000,
            LearningRate = f.Double(g, path, "adapt_learning_rate", 1e-12, 10) ?? 1e-4,
        };
        var wan = weights is null || prompts is null ? null : new WanOptions(weights, prompts, negative, adapt ? null : s.PathOf("lora"),
            Device: f.OneOf(g, path, "device", "auto", "cpu", "cuda") ?? s.Device,
            Dtype: f.OneOf(g, path, "dtype", "float32", "bfloat16") ?? "float32",
            Steps: f.Int(g, path, "steps", 1, 1000) ?? 50, Cfg: cfg, Shift: f.Double(g, path, "shift", 0.01, 100),
            Frames: f.Int(g, path, "frames", 1, 1025), Height: f.Int(g, path, "height", 16, 4096), Width: f.Int(g, path, "width", 16, 4096),
            VaeTiling: f.Bool(g, path, "vae_tiling") ?? true)
        {
            Train = train,
        };
        return new GeneratorEntry(s.Name, s.Label, this, Adapt: train is not null, Wan: wan);
    }

    public override string Describe(GeneratorEntry entry, ExperimentConfig config)
    {
        var datasets = config.Datasets.Select(d => d.Name).ToList();
        return entry.Wan!.Describe(datasets.Count == 1 ? datasets[0] : $"each dataset ({string.Join(", ", datasets)})");
    }

    public override string Summary(GeneratorEntry entry) => entry.Wan?.Train is null ? Name : "wan + LoRA";

    // A wan generator has its own sampler settings; the native engine's do not touch it.
    public override bool UsesEngineSampler => false;

    public override IEnumerable<BackendStage> OwnStages(GeneratorEntry entry, string dataset, ExperimentConfig config) => entry.Wan?.Train is null ? []
        : [new(AdapterStage(entry.Name, dataset), StageKind.Adapter, dataset, AdapterDir(config, entry.Name, dataset), stages => Adapter(stages, entry.Name, dataset))];

    public override StageDecision? Parent(GeneratorEntry entry, string dataset, SweepStages stages) =>
        entry.Wan!.Train is null ? null : Adapter(stages, entry.Name, dataset);

    public override void EnsureParents(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel)
    {
        if (entry.Wan!.Train is not null) EnsureAdapter(generators, entry, dataset, report, cancel);
    }

    /// <summary>Content, not paths: the pipeline's files, the embeddings and the LoRA ("missing" until they all exist, so
    /// the stage runs and fails naming the missing file), and the sampler settings.</summary>
    public override IReadOnlyList<KeyValuePair<string, string>>? GenerationInputs(GeneratorEntry entry, string dataset, SweepStages stages)
    {
        if (entry.Wan!.Train is not null && SweepStages.Record(AdapterDir(stages.Config, entry.Name, dataset), SweepStages.AdapterMarker) is null) return null;
        var wan = GenerationOptions(stages.Config, entry, dataset);
        return [
            new("wan_content", File.Exists(wan.Prompts) && (wan.Lora is null || File.Exists(wan.Lora)) && File.Exists(Path.Combine(wan.Weights, "model_index.json"))
                ? wan.ContentHash() : "missing"),
            .. Fingerprint.Flatten("wan", wan with { Weights = "", Prompts = "", Lora = wan.Lora is null ? null : "" }),
        ];
    }

    public override IVideoGenerator Open(GeneratorEntry entry, string dataset, SweepGenerators generators, Action<string, double> report, CancellationToken cancel) =>
        new WanGenerator(entry.Name, GenerationOptions(generators.Config, entry, dataset));

    // --- the LoRA trained in the sweep (adapt: true): one per (generator, dataset) ---

    /// <summary>Its folder: the LoRA, adapter.json and the fingerprint.</summary>
    public static string AdapterDir(ExperimentConfig config, string generator, string dataset) => Path.Combine(config.OutputDir, "generators", dataset, "wan-" + generator);

    public static string LoraFile(string adapterDir) => Path.Combine(adapterDir, "lora.safetensors");

    public static string AdapterStage(string generator, string dataset) => $"Wan LoRA {generator} {dataset}";

    public static StageDecision Adapter(SweepStages stages, string generator, string dataset) =>
        stages.Decide(AdapterStage(generator, dataset), StageKind.Adapter, AdapterDir(stages.Config, generator, dataset), SweepStages.AdapterMarker, AdapterPrint(stages, generator, dataset));

    /// <summary>What the generator samples with: adapt: true points its lora at the file the sweep trained for the dataset.</summary>
    public static WanOptions GenerationOptions(ExperimentConfig config, GeneratorEntry entry, string dataset) => entry.Wan!.Train is null ? entry.Wan
        : entry.Wan with { Lora = LoraFile(AdapterDir(config, entry.Name, dataset)), Train = null };

    /// <summary>The training settings, seeded by the sweep's first seed (as the native engine is).</summary>
    static WanLoraTrainingConfig Training(ExperimentConfig config, GeneratorEntry entry) => entry.Wan!.Train! with { Seed = config.Seeds[0] };

    /// <summary>The dataset's clips, the pipeline's files and embeddings (content), the size clips are encoded at, the
    /// base's dtype and the training settings. Sampler settings are left out: they do not touch the LoRA.</summary>
    static Fingerprint AdapterPrint(SweepStages stages, string generator, string dataset)
    {
        var entry = stages.Config.Generators.First(g => g.Name == generator);
        var wan = entry.Wan!;
        return Fingerprint.Of([
            .. stages.Common(CodeVersion.Of(StageKind.Adapter)), new("data", stages.DataHash(dataset)),
            new("wan_content", File.Exists(wan.Prompts) && File.Exists(Path.Combine(wan.Weights, "model_index.json")) ? wan.ContentHash() : "missing"),
            new("dtype", wan.Dtype), new("model_size", $"{wan.Frames}x{wan.Height}x{wan.Width}"),
            .. Fingerprint.Flatten("train", Training(stages.Config, entry)),
        ]);
    }

    static string EnsureAdapter(SweepGenerators generators, GeneratorEntry entry, string dataset, Action<string, double> report, CancellationToken cancel)
    {
        var config = generators.Config;
        var dir = AdapterDir(config, entry.Name, dataset);
        var lora = LoraFile(dir);
        var stages = generators.Stages;
        return generators.Runner.Run(() => Adapter(stages, entry.Name, dataset), dir, () => AdapterPrint(stages, entry.Name, dataset), () => lora, () =>
        {
            var clock = Stopwatch.StartNew();
            var result = WanAdaptation.Train(entry.Name, generators.Dataset(dataset).Data, config.Clip, generators.Cache, entry.Wan!, Training(config, entry), lora,
                new SyncProgress<TrainProgress>(p => report(p.Stage == "wan-encode"
                    ? $"encoding {dataset}'s training clips with the Wan VAE for {entry.Label}'s LoRA (clip {p.Step}/{p.TotalSteps})"
                    : $"training {entry.Label}'s Wan LoRA on {dataset} (step {p.Step}/{p.TotalSteps}, loss {p.Loss:0.000})", (double)p.Step / p.TotalSteps)), cancel);
            AtomicFile.WriteJson(Path.Combine(dir, SweepStages.AdapterMarker), new GeneratorTrainingRecord(result.Steps, result.FinalLoss,
                result.SkippedSteps, result.Clips, [dataset], clock.Elapsed.TotalSeconds, FileHash.Sha256(lora)));
            return lora;
        }, report, cancel);
    }
}
