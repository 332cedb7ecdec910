namespace Augment.Generator;

/// <summary>
/// Shape of the native latent video engine. Frames×Height×Width is the pixel clip it generates (the sweep sets it to the
/// dataset's clip size). The video autoencoder compresses it <see cref="TemporalCompression"/>× in time and
/// <see cref="SpatialCompression"/>× in space into <see cref="LatentChannels"/> channels; the diffusion transformer works
/// on that latent grid, cut into PatchFrames×PatchSize×PatchSize latent patches.
/// </summary>
public sealed record ModelConfig
{
    public const int TemporalCompression = 2, SpatialCompression = 4;

    public int Frames { get; init; } = 8;
    public int Height { get; init; } = 32;
    public int Width { get; init; } = 32;
    public int LatentChannels { get; init; } = 8;
    /// <summary>Channels of the autoencoder at full resolution; doubled at each downsampling.</summary>
    public int AutoencoderWidth { get; init; } = 16;
    public int PatchFrames { get; init; } = 1;
    public int PatchSize { get; init; } = 1;
    public int Dim { get; init; } = 96;
    public int Depth { get; init; } = 4;
    public int Heads { get; init; } = 4;
    public int MlpRatio { get; init; } = 4;
    /// <summary>Hashed word buckets of the prompt encoder; bucket 0 is never used, so an all-zero bag means "no prompt".</summary>
    public int PromptBuckets { get; init; } = 2048;

    public int LatentFrames => Frames / TemporalCompression;
    public int LatentHeight => Height / SpatialCompression;
    public int LatentWidth => Width / SpatialCompression;
    public int Tokens => LatentFrames / PatchFrames * (LatentHeight / PatchSize) * (LatentWidth / PatchSize);
    public int PatchValues => LatentChannels * PatchFrames * PatchSize * PatchSize;

    /// <summary>The shape of one clip's latent: [LatentChannels, LatentFrames, LatentHeight, LatentWidth].</summary>
    public long[] LatentShape => [LatentChannels, LatentFrames, LatentHeight, LatentWidth];

    public void Validate()
    {
        if (Frames % (TemporalCompression * PatchFrames) != 0 || Height % (SpatialCompression * PatchSize) != 0 || Width % (SpatialCompression * PatchSize) != 0)
            throw new ArgumentException($"model clip {Frames}x{Height}x{Width} is not divisible by the autoencoder's {TemporalCompression}x{SpatialCompression}x{SpatialCompression} compression times the latent patch {PatchFrames}x{PatchSize}x{PatchSize}");
        if (Dim % Heads != 0) throw new ArgumentException($"model dim {Dim} is not divisible by {Heads} heads");
        if (AutoencoderWidth < 4 || AutoencoderWidth % 4 != 0) throw new ArgumentException($"autoencoder width must be a positive multiple of 4, not {AutoencoderWidth}");
        if (LatentChannels < 3) throw new ArgumentException($"latent channels must be at least 3 (the first three carry the blurred clip), not {LatentChannels}");
        if (PromptBuckets < 2) throw new ArgumentException("prompt buckets must be at least 2");
    }
}

/// <summary>Flow-matching training of either stage (pretrain or LoRA adaptation).</summary>
public sealed record TrainConfig
{
    public int Steps { get; init; } = 200;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 1e-3;
    public double WeightDecay { get; init; } = 0.0;
    public double Ema { get; init; } = 0.99;
    public double CondDropout { get; init; } = 0.1;
    /// <summary>Timestep shift applied to the sampled training t (1 = none).</summary>
    public double Shift { get; init; } = 1.0;
    /// <summary>logit-normal (SD3 / HunyuanVideo) or uniform.</summary>
    public string TimeSampling { get; init; } = "logit-normal";
    public double GradClip { get; init; } = 1.0;
    public int CheckpointEvery { get; init; } = 50;
    /// <summary>Fault injection for tests: fill a gradient with NaN at the steps this returns true for.</summary>
    internal Func<int, bool>? PoisonGradients { get; init; }
}

/// <summary>
/// LoRA on the diffusion transformer: rank, alpha and which layers it adapts: the attention projections q, k, v, out,
/// the MLPs (mlp) and the adaLN modulation (mod), as video LoRAs usually do, and the prompt encoder's MLP (text), as
/// image LoRAs often adapt the text encoder: the base never saw the target's words, and with a frozen prompt encoder two
/// prompts that share most words ("polyp", "dyed polyp") came out as one class.
/// </summary>
public sealed record LoraConfig
{
    public int Rank { get; init; } = 8;
    public double Alpha { get; init; } = 8;
    public IReadOnlyList<string> Targets { get; init; } = ["q", "k", "v", "out", "mlp", "mod", "text"];
}

/// <summary>Flow-matching sampler: Euler or Heun, N steps, classifier-free guidance, timestep shift.</summary>
public sealed record SamplerConfig
{
    public int Steps { get; init; } = 16;
    public double Cfg { get; init; } = 3.0;
    public double Shift { get; init; } = 3.0;
    /// <summary>euler | heun.</summary>
    public string Solver { get; init; } = "euler";
}

/// <summary>Quality-gate thresholds, tuned for small (32–64 px) clips; scores are on 0–255 pixel scales unless noted.</summary>
public sealed record GateOptions
{
    /// <summary>A clip is bordered when at least this fraction of frames shows a dark straight edge band.</summary>
    public double BorderFrameFraction { get; init; } = 0.75;
    /// <summary>A band between an edge line and the frame edge counts as black when its mean luma is below this.</summary>
    public double BorderMaxLuma { get; init; } = 24;
    /// <summary>Widest band (fraction of the side) still called a border.</summary>
    public double BorderMaxWidth { get; init; } = 0.25;
    /// <summary>Mean variance of the Laplacian below this is blurred.</summary>
    public double MinSharpness { get; init; } = 12;
    public double MinLuma { get; init; } = 20;
    public double MaxLuma { get; init; } = 235;
    /// <summary>Mean absolute adjacent-frame difference below this is a frozen clip.</summary>
    public double MinMotion { get; init; } = 0.5;
    /// <summary>A jump of the mean luma between adjacent frames above this is flicker.</summary>
    public double MaxFlicker { get; init; } = 30;
    /// <summary>A clip whose frames are within this many pHash bits (of 64, mean over frames) of a real training clip is a near-copy.</summary>
    public double MemorisationMaxBits { get; init; } = 3;
    /// <summary>Upper bounds (null: none). Noise is far sharper and livelier than real video; a patch mosaic is blocky.</summary>
    public double? MaxSharpness { get; init; }
    public double? MaxMotion { get; init; }
    public double? MaxBlockiness { get; init; }
    /// <summary>
    /// Replace the sharpness, luma, motion, flicker and blockiness thresholds by bands taken from the real training clips'
    /// own scores (<see cref="Gate.GateCalibration"/>): percentiles CalibrationLow..CalibrationHigh, widened by
    /// CalibrationSlack × their spread in log(1+score).
    /// </summary>
    public bool Calibrate { get; init; }
    public double CalibrationLow { get; init; } = 1;
    public double CalibrationHigh { get; init; } = 99;
    public double CalibrationSlack { get; init; } = 0.5;
}

/// <summary>Everything the native generator needs; the sweep builds it from experiments.yaml's profile.</summary>
public sealed record GeneratorConfig
{
    public ModelConfig Model { get; init; } = new();
    /// <summary>The video autoencoder, trained first on the pretraining pool (reconstruction loss); its CondDropout, Shift and TimeSampling are unused.</summary>
    public TrainConfig Autoencoder { get; init; } = new() { Steps = 300, LearningRate = 1e-3, Ema = 0.95 };
    public TrainConfig Pretrain { get; init; } = new();
    public TrainConfig Adapt { get; init; } = new() { Steps = 80, LearningRate = 2e-3, Ema = 0.9 };
    public LoraConfig Lora { get; init; } = new();
    public SamplerConfig Sampler { get; init; } = new();
    public GateOptions Gate { get; init; } = new();
    public long Seed { get; init; }
    public string Device { get; init; } = "cpu";

    /// <summary>
    /// This config generating at the clip size of a dataset, so generated clips need no resampling to sit beside real ones.
    /// A size the autoencoder and the latent patches cannot divide is an error naming it.
    /// </summary>
    public GeneratorConfig AtClipSize(Augment.Data.ClipSpec clip)
    {
        var model = Model with { Frames = clip.Frames, Height = clip.Height, Width = clip.Width };
        try { model.Validate(); }
        catch (ArgumentException e) { throw new ArgumentException($"clip size {clip.Frames}x{clip.Height}x{clip.Width} does not suit the native generator: {e.Message}"); }
        return this with { Model = model };
    }

    /// <summary>tiny: a CPU-minute demo; small: a laptop hour; full: the paper's settings on a GPU.</summary>
    public static GeneratorConfig ForProfile(string profile) => profile.ToLowerInvariant() switch
    {
        "tiny" => new GeneratorConfig
        {
            // Four latent channels: the blurred clip's three and one learned detail channel. With eight, the extra channels a
            // 300-step autoencoder leaves half-trained were noise the transformer spent itself on (recognisability fell).
            Model = new ModelConfig { Frames = 8, Height = 32, Width = 32, LatentChannels = 4, AutoencoderWidth = 16, PatchFrames = 1, PatchSize = 1, Dim = 64, Depth = 3, Heads = 4 },
            Autoencoder = new TrainConfig { Steps = 300, BatchSize = 16, LearningRate = 1e-3, Ema = 0.95, CheckpointEvery = 50 },
            Pretrain = new TrainConfig { Steps = 800, BatchSize = 16, LearningRate = 1e-3, Ema = 0.98, CheckpointEvery = 50 },
            // Paper: rank 32, alpha 32, lr 5e-5 over thousands of steps. Measured on the demo: lr 1e-2 diverged, 5e-4 had not
            // moved far in 400 steps; rank 32 over 1000 steps fitted the training clips closer and was no more recognisable.
            Adapt = new TrainConfig { Steps = 600, BatchSize = 12, LearningRate = 2e-3, Ema = 0.9, CheckpointEvery = 100 },
            Lora = new LoraConfig { Rank = 16, Alpha = 16 },
            // Guidance 6 (the paper's) against 3: polyp recognisability 0.5 against 0.3, dyed polyp 1.0 either way.
            Sampler = new SamplerConfig { Steps = 20, Cfg = 6.0, Shift = 3.0 },
        },
        "small" => new GeneratorConfig
        {
            Model = new ModelConfig { Frames = 16, Height = 64, Width = 64, LatentChannels = 8, AutoencoderWidth = 32, PatchFrames = 1, PatchSize = 2, Dim = 128, Depth = 6, Heads = 4 },
            Autoencoder = new TrainConfig { Steps = 2000, BatchSize = 16, LearningRate = 1e-3, Ema = 0.99, CheckpointEvery = 250 },
            Pretrain = new TrainConfig { Steps = 3000, BatchSize = 16, LearningRate = 5e-4, Ema = 0.999, CheckpointEvery = 250 },
            Adapt = new TrainConfig { Steps = 800, BatchSize = 16, LearningRate = 5e-4, Ema = 0.99, CheckpointEvery = 200 },
            Lora = new LoraConfig { Rank = 16, Alpha = 16 },
            Sampler = new SamplerConfig { Steps = 30, Cfg = 4.0, Shift = 5.0, Solver = "heun" },
        },
        "full" => new GeneratorConfig
        {
            Model = new ModelConfig { Frames = 16, Height = 112, Width = 112, LatentChannels = 16, AutoencoderWidth = 64, PatchFrames = 1, PatchSize = 2, Dim = 384, Depth = 12, Heads = 6 },
            Autoencoder = new TrainConfig { Steps = 20_000, BatchSize = 32, LearningRate = 5e-4, Ema = 0.999, CheckpointEvery = 1000 },
            Pretrain = new TrainConfig { Steps = 100_000, BatchSize = 32, LearningRate = 1e-4, Ema = 0.999, CheckpointEvery = 1000 },
            Adapt = new TrainConfig { Steps = 10_000, BatchSize = 32, LearningRate = 5e-5, Ema = 0.999, CheckpointEvery = 1000 },
            Lora = new LoraConfig { Rank = 32, Alpha = 32 },
            Sampler = new SamplerConfig { Steps = 50, Cfg = 6.0, Shift = 7.0 },
        },
        _ => throw new ArgumentException($"unknown generator profile '{profile}' (tiny, small, full)"),
    };
}
