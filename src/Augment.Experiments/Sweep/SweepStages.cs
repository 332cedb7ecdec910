using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Augment.Classifier;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Experiments.Config;
using Augment.Generator;

namespace Augment.Experiments.Sweep;

/// <summary>The stage kinds `augment sweep --force` accepts.</summary>
public enum StageKind { Base, Adapter, Generation, Gating, Cell, Reference }

public enum StageAction { Reuse, Resume, Run, Rerun }

/// <summary>What the sweep does with one stage, and why when it reruns.</summary>
public sealed record StageDecision(string Stage, StageKind Kind, StageAction Action, string? Why = null)
{
    public override string ToString() => Action switch
    {
        StageAction.Rerun => $"{Stage}: rerun ({Why})",
        _ => $"{Stage}: {Action.ToString().ToLowerInvariant()}",
    };
}

/// <summary>reference.json: a dataset's finished reference classifier (generation-quality measurements only).</summary>
public sealed record ReferenceRecord(int TrainClips, double BestValMacroF1, double Seconds, string CheckpointSha256)
{
    public const string FileName = "reference.json", Checkpoint = "best.ckpt";
}

/// <summary>base.json / adapter.json: a finished generator training stage.</summary>
public sealed record GeneratorTrainingRecord(int Steps, double FinalLoss, int SkippedSteps, int Clips, IReadOnlyList<string> Pool,
    double Seconds, string CheckpointSha256)
{
    /// <summary>Base only: the video autoencoder's steps, skipped steps and mean absolute reconstruction error on the pool (0–255).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? AutoencoderSteps { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? AutoencoderSkippedSteps { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public double? AutoencoderReconstruction { get; init; }
}

/// <summary>
/// Decides, stage by stage, whether a stored result can be reused: each stage's fingerprint (its effective settings, its
/// data's content hash, what its parent stages produced, the code's source hash) is compared with the fingerprint.json
/// in its folder. A stage whose parent will rerun reruns too. The runner and `--dry-run` ask the same questions, so the
/// plan shows exactly what a run would do. A rerun moves the old folder under &lt;output_dir&gt;/stale/ (nothing is deleted).
/// </summary>
public sealed class SweepStages(ExperimentConfig config, IReadOnlyDictionary<string, SweepDataset> datasets,
    GeneratorConfig generatorConfig, IReadOnlySet<StageKind> forced, ClipCache cache)
{
    readonly Dictionary<string, string> dataHashes = [];
    readonly HashSet<string> rerunByForce = [];
    readonly List<StageDecision> reruns = [];

    internal ExperimentConfig Config => config;

    /// <summary>Stages begun again in this run because their stored result no longer matched (or --force), with why.</summary>
    public IReadOnlyList<StageDecision> Reruns => reruns;

    public string BaseDir => Path.Combine(config.OutputDir, "generators",
        "base-" + SweepPlanner.ShortHash(JsonSerializer.Serialize(new { generatorConfig.Model, generatorConfig.Autoencoder, generatorConfig.Pretrain, generatorConfig.Seed, config.Generator.PretrainPool, config.Clip })));

    public string AdapterDir(string dataset) => Path.Combine(config.OutputDir, "generators", dataset,
        "lora-" + SweepPlanner.ShortHash(JsonSerializer.Serialize(new { BaseDir, generatorConfig.Adapt, generatorConfig.Lora })));

    /// <summary>One adapter per set of corpora, shared by every dataset (the corpora, not a dataset, are its data).</summary>
    public string CorpusAdapterDir(IReadOnlyList<string> corpora) => Path.Combine(config.OutputDir, "generators", "corpus-" + CorpusKey(corpora),
        "lora-" + SweepPlanner.ShortHash(JsonSerializer.Serialize(new { BaseDir, generatorConfig.Adapt, generatorConfig.Lora })));

    /// <summary>A set of corpora's name in folders and stages: their names in the order adapt_on lists them.</summary>
    public static string CorpusKey(IReadOnlyList<string> corpora) => string.Join("+", corpora);

    public const string BaseMarker = "base.json", AdapterMarker = "adapter.json";

    /// <summary>The dataset's reference classifier: one per dataset, reused by every sweep with the same settings.</summary>
    public string ReferenceDir(string dataset) => Path.Combine(config.OutputDir, "reference", dataset);

    /// <summary>The stages' names, as decisions, claims, status and messages show them.</summary>
    public const string BaseStage = "base generator";
    public static string AdapterStage(string dataset) => $"LoRA adapter {dataset}";
    public static string CorpusAdapterStage(IReadOnlyList<string> corpora) => $"LoRA adapter corpus {CorpusKey(corpora)}";
    public static string ReferenceStage(string dataset) => $"reference classifier {dataset}";

    public StageDecision Base() => Decide(BaseStage, StageKind.Base, BaseDir, BaseMarker, BasePrint());

    public StageDecision Adapter(string dataset) =>
        AfterParent(AdapterStage(dataset), StageKind.Adapter, AdapterDir(dataset), Base())
            ?? Decide(AdapterStage(dataset), StageKind.Adapter, AdapterDir(dataset), AdapterMarker, AdapterPrint(dataset)!);

    public StageDecision CorpusAdapter(IReadOnlyList<string> corpora) =>
        AfterParent(CorpusAdapterStage(corpora), StageKind.Adapter, CorpusAdapterDir(corpora), Base())
            ?? Decide(CorpusAdapterStage(corpora), StageKind.Adapter, CorpusAdapterDir(corpora), AdapterMarker, CorpusAdapterPrint(corpora)!);

    public StageDecision Generation(GenerationPlan plan)
    {
        var entry = config.Generators.First(g => g.Name == plan.Generator);
        var parent = entry.Backend.Parent(entry, plan.Dataset, this);
        return (parent is null ? null : AfterParent(plan.Stage, StageKind.Generation, plan.Dir, parent))
            ?? Decide(plan.Stage, StageKind.Generation, plan.Dir, GenerationRecord.FileName, GenerationPrint(plan)!);
    }

    public StageDecision Gating(GenerationPlan plan) =>
        AfterParent(plan.GatingStage, StageKind.Gating, plan.GatingDir, Generation(plan))
            ?? Decide(plan.GatingStage, StageKind.Gating, plan.GatingDir, GatingRecord.FileName, GatingPrint(plan)!);

    public StageDecision Cell(CellPlan cell, GenerationPlan? generation)
    {
        var parent = generation is null ? null : Gating(generation);
        return (parent is null ? null : AfterParent(cell.Stage, StageKind.Cell, cell.Dir, parent))
            ?? Decide(cell.Stage, StageKind.Cell, cell.Dir, CellResult.FileName, CellPrint(cell, generation)!,
                done: CellResult.TryRead(cell.Dir)?.Status == CellStatus.Finished);
    }

    public StageDecision Reference(string dataset) =>
        Decide(ReferenceStage(dataset), StageKind.Reference, ReferenceDir(dataset), ReferenceRecord.FileName, ReferencePrint(dataset));

    /// <summary>
    /// Readies the stage's folder for its work unless its result can be reused (false): a stale folder moved aside and
    /// the rerun recorded, the new fingerprint written. A forced stage reruns once per invocation: later questions about
    /// it in the same run see its new result.
    /// </summary>
    public bool Begin(StageDecision decision, string dir, Fingerprint print)
    {
        if (decision.Action == StageAction.Reuse) return false;
        if (decision.Action == StageAction.Rerun)
        {
            reruns.Add(decision);
            if (decision.Why?.StartsWith("--force", StringComparison.Ordinal) == true) rerunByForce.Add(decision.Stage);
            MoveAside(dir);
        }
        Directory.CreateDirectory(dir);
        print.Write(dir);
        return true;
    }

    // --- fingerprints (null when a parent's output does not exist yet) ---

    public Fingerprint BasePrint() => Fingerprint.Of([
        .. Common(CodeVersion.Of(StageKind.Base)),
        .. Fingerprint.Flatten("model", generatorConfig.Model), .. Fingerprint.Flatten("autoencoder", generatorConfig.Autoencoder),
        .. Fingerprint.Flatten("pretrain", generatorConfig.Pretrain),
        new("generator_seed", generatorConfig.Seed.ToString(CultureInfo.InvariantCulture)),
        .. config.Generator.PretrainPool.Select(p => new KeyValuePair<string, string>($"pool.{p}", p == "general" ? GeneralPoolSettings() : DataHash(p))),
    ]);

    public Fingerprint? AdapterPrint(string dataset) => Record(BaseDir, BaseMarker) is not { } parent ? null : Fingerprint.Of([
        .. Common(CodeVersion.Of(StageKind.Adapter)),
        new("base_checkpoint", parent.CheckpointSha256), new("data", DataHash(dataset)),
        .. Fingerprint.Flatten("adapt", generatorConfig.Adapt), .. Fingerprint.Flatten("lora", generatorConfig.Lora),
    ]);

    /// <summary>The base it adapts, the corpora's content (each clip's caption and video hash; a demo corpus: the
    /// settings it is rendered from) and the adapter settings.</summary>
    public Fingerprint? CorpusAdapterPrint(IReadOnlyList<string> corpora) => Record(BaseDir, BaseMarker) is not { } parent ? null : Fingerprint.Of([
        .. Common(CodeVersion.Of(StageKind.Adapter)),
        new("base_checkpoint", parent.CheckpointSha256),
        .. corpora.Select(name => new KeyValuePair<string, string>($"corpus.{name}", CorpusHash(config.Corpora.First(c => c.Name == name)))),
        .. Fingerprint.Flatten("adapt", generatorConfig.Adapt), .. Fingerprint.Flatten("lora", generatorConfig.Lora),
    ]);

    string CorpusHash(CorpusEntry corpus)
    {
        if (corpus.IsDemo) return $"demo seed {corpus.Seed}, {corpus.Clips} clips";
        var key = "corpus:" + corpus.Name;
        if (dataHashes.TryGetValue(key, out var hash)) return hash;
        var loaded = CaptionedCorpus.Load(corpus.Name, corpus.CaptionsFile, corpus.PathField, corpus.CaptionField);
        return dataHashes[key] = SweepPlanner.ShortHash(string.Join("\n", loaded.Clips.Select(c => $"{c.Caption}|{cache.HashOf(c.Path)}").Order(StringComparer.Ordinal)));
    }

    public Fingerprint? GenerationPrint(GenerationPlan plan)
    {
        var entry = config.Generators.First(g => g.Name == plan.Generator);
        var inputs = new List<KeyValuePair<string, string>>(Common(CodeVersion.Of(StageKind.Generation)))
        {
            new("data", DataHash(plan.Dataset)), new("seed", plan.Seed.ToString(CultureInfo.InvariantCulture)),
            new("max_ratio", Fingerprint.Text(plan.MaxRatio)), new("oversample", Fingerprint.Text(config.Generator.Oversample)),
            new("target_classes", string.Join(",", datasets[plan.Dataset].TargetClasses)),
            new("backend", entry.Backend.Name),
        };
        if (entry.Backend.UsesEngineSampler) inputs.AddRange(Fingerprint.Flatten("sampler", generatorConfig.Sampler));
        if (entry.Backend.GenerationInputs(entry, plan.Dataset, this) is not { } own) return null;
        inputs.AddRange(own);
        return Fingerprint.Of(inputs);
    }

    /// <summary>The gate's settings, the real training clips it calibrates on and compares against, and the clips it judges.</summary>
    public Fingerprint? GatingPrint(GenerationPlan plan)
    {
        if (GenerationRecord.TryRead(plan.Dir) is not { } g || Fingerprint.TryRead(plan.Dir) is not { } gp) return null;
        return Fingerprint.Of([
            .. Common(CodeVersion.Of(StageKind.Gating)), new("data", DataHash(plan.Dataset)),
            new("generation", $"{gp.Hash}@{g.FinishedAt:O}"), .. Fingerprint.Flatten("gate", config.Generator.Gate),
        ]);
    }

    public Fingerprint? CellPrint(CellPlan cell, GenerationPlan? generation)
    {
        var inputs = new List<KeyValuePair<string, string>>(Common(CodeVersion.Of(StageKind.Cell)))
        {
            new("data", DataHash(cell.Dataset)), new("ratio", Fingerprint.Text(cell.Ratio)),
            new("seed", cell.Seed.ToString(CultureInfo.InvariantCulture)),
            new("target_classes", string.Join(",", datasets[cell.Dataset].TargetClasses)),
        };
        inputs.AddRange(Fingerprint.Flatten("classifier", config.Classifier with { Seed = cell.Seed, Resume = false }));
        inputs.AddRange(WeightsPrint());
        if (generation is not null)
        {
            // The gating that actually ran (its fingerprint and when it finished), so a regenerated or re-gated set retrains its cells.
            if (GatingRecord.TryRead(generation.GatingDir) is not { } g || Fingerprint.TryRead(generation.GatingDir) is not { } gp) return null;
            inputs.Add(new("gating", $"{gp.Hash}@{g.FinishedAt:O}"));
        }
        return Fingerprint.Of(inputs);
    }

    /// <summary>The reference classifier: the classifier settings with the first seed, trained on the full training split.</summary>
    public Fingerprint ReferencePrint(string dataset) => Fingerprint.Of([
        .. Common(CodeVersion.Of(StageKind.Reference)),
        new("data", ReferenceDataHash(dataset)),
        .. Fingerprint.Flatten("classifier", ReferenceOptions),
        .. WeightsPrint(),
    ]);

    /// <summary>The pretrained checkpoint's content (hashed once per plan), so a replaced file at the same path retrains every cell.</summary>
    IEnumerable<KeyValuePair<string, string>> WeightsPrint() => weightsPrint ??= WeightsInputs(config.Classifier);

    IReadOnlyList<KeyValuePair<string, string>>? weightsPrint;

    /// <summary>classifier_weights_sha256 of the classifier's starting checkpoint; nothing for a model trained from scratch.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> WeightsInputs(ClassifierOptions classifier) => classifier.Weights is not { } path ? []
        : [new("classifier_weights_sha256", File.Exists(path) ? Augment.Data.FileHash.Sha256(path) : "missing")];

    public ClassifierOptions ReferenceOptions => config.Classifier with { Seed = config.Seeds[0], Resume = false };

    internal IEnumerable<KeyValuePair<string, string>> Common(string code) => [new("code", code), new("clip", config.Clip.Key)];

    string GeneralPoolSettings() => JsonSerializer.Serialize(config.Datasets.FirstOrDefault(d => d.Demo is not null)?.Demo, AtomicFile.Json);

    /// <summary>The dataset's clips (split, label, video, window) and every video's content hash: an edited, added or
    /// relabelled video changes it.</summary>
    public string DataHash(string dataset) => Hash(dataset, datasets[dataset].Data);

    /// <summary>The same for the dataset before `keep` trims it.</summary>
    internal string ReferenceDataHash(string dataset) => Hash("reference:" + dataset, datasets[dataset].ReferenceData);

    string Hash(string key, Dataset data)
    {
        if (dataHashes.TryGetValue(key, out var hash)) return hash;
        var lines = data.Clips
            .Select(c => $"{c.Split}|{c.Label}|{c.VideoId}|{c.StartFrame}|{c.FrameCount}|{cache.HashOf(c.Path)}")
            .Order(StringComparer.Ordinal);
        return dataHashes[key] = SweepPlanner.ShortHash(string.Join("\n", lines));
    }

    internal static string ShortFileHash(string path) => File.Exists(path) ? Augment.Data.FileHash.Sha256(path)[..12] : "missing";


    /// <summary>A finished generator training stage's record, or null.</summary>
    internal static GeneratorTrainingRecord? Record(string dir, string marker)
    {
        var path = Path.Combine(dir, marker);
        return AtomicFile.TryReadJson<GeneratorTrainingRecord>(path);
    }

    // --- decisions ---

    static StageDecision? AfterParent(string stage, StageKind kind, string dir, StageDecision parent) => parent.Action == StageAction.Reuse ? null
        : HasWork(dir) ? new(stage, kind, StageAction.Rerun, $"{parent.Stage} {(parent.Action == StageAction.Rerun ? "reruns" : "is not finished")}")
        : new(stage, kind, StageAction.Run);

    internal StageDecision Decide(string stage, StageKind kind, string dir, string marker, Fingerprint print, bool? done = null)
    {
        if (!HasWork(dir)) return new(stage, kind, StageAction.Run);
        if (Fingerprint.TryRead(dir) is not { } stored) return new(stage, kind, StageAction.Rerun, "made by a version that recorded no fingerprint");
        if (forced.Contains(kind) && !rerunByForce.Contains(stage)) return new(stage, kind, StageAction.Rerun, "--force " + kind.ToString().ToLowerInvariant());
        if (print.Differences(stored) is { } why) return new(stage, kind, StageAction.Rerun, why);
        return (done ?? File.Exists(Path.Combine(dir, marker))) ? new(stage, kind, StageAction.Reuse) : new(stage, kind, StageAction.Resume);
    }

    static bool HasWork(string dir) => Directory.Exists(dir) && Directory.EnumerateFileSystemEntries(dir).Any();

    void MoveAside(string dir) => MoveAside(config.OutputDir, dir);

    internal static void MoveAside(string outputDir, string dir)
    {
        if (!Directory.Exists(dir)) return;
        var target = Path.Combine(outputDir, "stale", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture),
            Path.GetRelativePath(outputDir, dir));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        Directory.Move(dir, target.Length > 0 && Directory.Exists(target) ? target + "-" + Guid.NewGuid().ToString("N")[..6] : target);
    }
}
