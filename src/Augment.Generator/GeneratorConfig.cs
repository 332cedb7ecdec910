namespace Augment.Generator;

/// <summary>
/// Shape of the native latent video engine. Frames×Height×Width is the pixel clip it generates (the sweep sets it to the
/// dataset's clip size). The video autoencoder compresses it <see cref="TemporalCompression"/>× in time and
/// <see cref="SpatialCompression"/>× in space into <see cref="LatentChannels"/> channels; the diffusion transformer works
/// on that latent grid, cut into PatchFrames×PatchSize×PatchSize latent patches.
/// </summary>
public sealed record NativeModelConfig
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

/// <summary>Everything the native generator needs; the sweep builds it from experiments.yaml's profile.</summary>
public sealed record GeneratorConfig
{
    public NativeModelConfig Model { get; init; } = new();
    /// <summary>The video autoencoder, trained first on the pretraining pool (reconstruction loss); its CondDropout, Shift and TimeSampling are unused.</summary>
    public TrainConfig Autoencoder { get; init; } = new() { Steps = 300, LearningRate = 1e-3, Ema = 0.95 };
    public TrainConfig Pretrain { get; init; } = new();
    public TrainConfig Adapt { get; init; } = new() { Steps = 80, LearningRate = 2e-3, Ema = 0.9 };
    public LoraConfig Lora { get; init; } = new();
    public SamplerConfig Sampler { get; init; } = new();
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

}
