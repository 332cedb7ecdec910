using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Synthetic;

namespace Augment.Classifier;

/// <summary>Everything that shapes one classifier training run. Defaults are the demo's "tiny" scale.</summary>
public sealed record ClassifierOptions
{
    /// <summary>r2plus1d (default) | frame2d (Augment's small models, trained from scratch) | r3d_18 | mc3_18 | r2plus1d_18 | s3d
    /// (torchvision's architectures, for their Kinetics-400 checkpoints: see <see cref="Weights"/>).</summary>
    public string Model { get; init; } = "r2plus1d";
    /// <summary>A torchvision or MMAction2 checkpoint (.pth/.safetensors) every run starts from; null: random init.</summary>
    public string? Weights { get; init; }
    /// <summary>A pretrained backbone's square input side; null: what its weights were trained at (112, or 224 for s3d).
    /// The resize before the crop scales with it (torchvision's 128→112).</summary>
    public int? Crop { get; init; }
    /// <summary>A pretrained backbone's per-channel RGB input mean and std on [0,1] pixels; null: its weights' own.</summary>
    public float[]? Mean { get; init; }
    public float[]? Std { get; init; }
    /// <summary>The backbone's learning rate is this times the head's (MMAction2's paramwise lr_mult; 1 = one rate).</summary>
    public double BackboneLrMultiplier { get; init; } = 1.0;
    /// <summary>MMAction2's frozen_stages: -1 trains everything, 0 freezes the stem, k the stem and the first k stages.</summary>
    public int FrozenStages { get; init; } = -1;
    /// <summary>MMAction2's norm_eval: BatchNorm layers stay in eval mode while training (running statistics fixed), for small batches.</summary>
    public bool NormEval { get; init; }
    /// <summary>Test-time views (MMAction2's num_clips × ThreeCrop, average_clips='prob'): temporal clips per test clip
    /// and spatial crops (1 or 3); validation always uses one view.</summary>
    public int TestClips { get; init; } = 1;
    public int TestCrops { get; init; } = 1;
    public int Width { get; init; } = 16;
    public int Depth { get; init; } = 2;
    public int Epochs { get; init; } = 30;
    /// <summary>Small batches give small datasets enough optimizer steps per epoch.</summary>
    public int BatchSize { get; init; } = 8;
    public double LearningRate { get; init; } = 3e-3;
    public double WeightDecay { get; init; } = 0.05;
    public int WarmupEpochs { get; init; } = 1;
    public double LabelSmoothing { get; init; } = 0.1;
    /// <summary>sampler (class-balanced sampling) | weights (class-weighted loss) | none.</summary>
    public string Balance { get; init; } = "sampler";
    public bool Augment { get; init; } = true;
    public double GradClip { get; init; } = 1.0;
    /// <summary>Early stopping: epochs without a better validation macro-F1.</summary>
    public int Patience { get; init; } = 10;
    /// <summary>Early stopping waits this long: patience counts only epochs after it. On a small, noisy validation
    /// split an early lucky epoch would otherwise stop a run that is still climbing slowly.</summary>
    public int MinEpochs { get; init; }
    public string Device { get; init; } = "auto";
    /// <summary>auto (bf16-mixed on CUDA, fp32 on CPU) | fp32 | bf16-mixed: compute in bfloat16, keep float32 master weights.</summary>
    public string Precision { get; init; } = "auto";
    /// <summary>libtorch CPU threads for the run (0: libtorch's default). Fixed so results repeat across machines.</summary>
    public int Threads { get; init; } = 1;
    public long Seed { get; init; }
    public bool Resume { get; init; }
}

public sealed record EpochReport(int Epoch, double TrainLoss, double TrainAccuracy, double ValLoss, double ValMacroF1, double ValAccuracy, double LearningRate)
{
    /// <summary>Wall-clock seconds of the epoch (training and validation).</summary>
    public double Seconds { get; init; }
    /// <summary>True when this epoch's weights became best.ckpt.</summary>
    public bool Best { get; init; }
    /// <summary>Optimizer steps skipped so far because their loss or gradient was not finite.</summary>
    public int SkippedSteps { get; init; }
}

public sealed record ClassMetrics(string Label, double Precision, double Recall, double F1, int Support);

public sealed record EvaluationMetrics
{
    public required IReadOnlyList<string> Classes { get; init; }
    public double Accuracy { get; init; }
    public double BalancedAccuracy { get; init; }
    public double MacroPrecision { get; init; }
    public double MacroRecall { get; init; }
    public double MacroF1 { get; init; }
    public double WeightedPrecision { get; init; }
    public double WeightedRecall { get; init; }
    public double WeightedF1 { get; init; }
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }
    /// <summary>[actual][predicted] counts.</summary>
    public required int[][] Confusion { get; init; }
    /// <summary>Mean cross-entropy of the scores (ML.NET's log-loss).</summary>
    public double LogLoss { get; init; }
    /// <summary>What was scored: videos (window probabilities averaged) and the windows behind them.</summary>
    public int Videos { get; init; }
    public int Windows { get; init; }
    /// <summary>How each clip was scored: "1 view", or test-time views (clips × crops, probabilities averaged).</summary>
    public string Views { get; init; } = "1 view";
    /// <summary>The same metrics over single windows, before averaging per video (the headline is per video).</summary>
    public EvaluationMetrics? PerWindow { get; init; }
}

/// <summary>
/// What a finished run leaves in its folder: metrics.json and predictions.csv (test split, best epoch), mix.json,
/// history.json, confusion.png, curves.png, best.ckpt, last.ckpt (resume point), pretrained.json when it started from a
/// checkpoint (what was loaded and replaced), and quarantine.json when a clip was
/// unreadable.
/// </summary>
public sealed record TrainResult(EvaluationMetrics Test, IReadOnlyList<EpochReport> History, MixSummary Mix, string OutDir)
{
    /// <summary>Optimizer steps skipped over the whole run (non-finite loss or gradient).</summary>
    public int SkippedSteps { get; init; }
    /// <summary>Optimizer steps the run took (skipped ones included): equal for every cell of a dataset.</summary>
    public long Steps { get; init; }
}

public sealed record TrainRequest(Dataset Dataset, ClipSpec Spec, ClipCache Cache, ClassifierOptions Options, MixOptions Mix, string OutDir);
