using System.Globalization;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Numerics;
using Augment.Data.Video;
using Augment.Data.Weights;
using Augment.Generator.Conditioning;
using Augment.Generator.Pipelines;
using static TorchSharp.torch;

namespace Augment.Generator.Backends;

/// <summary>
/// What a <c>backend: wan</c> generator runs: an official Wan2.1 diffusers folder, the prompt-embeddings file holding
/// every class prompt (found by its text), the negative prompt's embedding by name, an optional PEFT LoRA file, and the
/// sampler settings (null shift: the scheduler folder's). Frames/height/width: the size the model samples at (null:
/// the sweep's clip size rounded up to the model's grid); clips are then resized to the sweep's clip size. VaeTiling:
/// decode frames larger than 256 px in diffusers' default spatial tiles (it changes those clips, and bounds the memory).
/// </summary>
public sealed record WanOptions(string Weights, string Prompts, string? Negative = null, string? Lora = null,
    string Device = "auto", string Dtype = "float32", int Steps = 50, double Cfg = 5.0, double? Shift = null,
    int? Frames = null, int? Height = null, int? Width = null, bool VaeTiling = true)
{
    /// <summary>adapt: true — the LoRA the sweep trains on each dataset's training clips before generating (then
    /// <see cref="Lora"/> is that file); null: none is trained. Left out of JSON when null, so the fingerprints of
    /// generators without one are what they were.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public Training.WanLoraTrainingConfig? Train { get; init; }

    /// <summary>The pipeline folder's files the backend reads (not text_encoder/ or tokenizer/, which it never opens).</summary>
    public IEnumerable<string> WeightFiles() =>
        new[] { "model_index.json" }.Select(f => Path.Combine(Weights, f)).Concat(
            new[] { "transformer", "vae", "scheduler" }.Select(d => Path.Combine(Weights, d)).Where(Directory.Exists)
                .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories)))
            .Where(File.Exists).Order(StringComparer.Ordinal);

    /// <summary>SHA-256 over the pipeline's files (relative name and content hash each), the embeddings and the LoRA:
    /// what the clips were made from. Memoised per process by <see cref="FileHash"/>, so a 14B folder is read once.</summary>
    public string ContentHash()
    {
        var lines = WeightFiles().Select(f => $"{Path.GetRelativePath(Weights, f)}:{FileHash.Sha256(f)}")
            .Append($"prompts:{FileHash.Sha256(Prompts)}")
            .Append($"lora:{(Lora is null ? "none" : FileHash.Sha256(Lora))}");
        return FileHash.OfText(string.Join("\n", lines));
    }

    /// <summary>What runs, for the report, read from the safetensors headers alone (no weights are loaded):
    /// "Wan2.1 transformer (1.42M params) from Wan2.1-T2V-1.3B-Diffusers + LoRA medgen.safetensors rank 32", or with
    /// adapt: true "… + LoRA trained in this sweep on <paramref name="trainedOn"/> (rank 32, 1000 steps)".</summary>
    public string Describe(string trainedOn = "the training split")
    {
        if (Train is { } train)
            return $"{(this with { Train = null }).Describe()} + LoRA trained in this sweep on {trainedOn} (rank {train.Rank}, {train.Steps} steps)";
        var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(Weights));
        try
        {
            long parameters;
            using (var transformer = StateDicts.Open(Path.Combine(Weights, "transformer")))
                parameters = transformer.Entries.Values.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b));
            var text = $"Wan2.1 transformer ({Count(parameters)} params) from {folder}";
            if (Lora is null) return text;
            using var lora = StateDicts.Open(Lora);
            var ranks = lora.Entries.Where(e => e.Key.EndsWith(".lora_A.weight", StringComparison.Ordinal)).Select(e => e.Value.Shape[0]).Distinct().Order();
            return $"{text} + LoRA {Path.GetFileName(Lora)} rank {string.Join("/", ranks)}";
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return $"Wan2.1 from {folder}{(Lora is null ? "" : $" + LoRA {Path.GetFileName(Lora)}")} (not readable: {e.Message})";
        }
    }

    static string Count(long n) => n >= 1_000_000_000
        ? (n / 1e9).ToString("0.00", CultureInfo.InvariantCulture) + "B"
        : (n / 1e6).ToString("0.00", CultureInfo.InvariantCulture) + "M";
}

/// <summary>
/// Wan2.1 text-to-video as a sweep generator: each class's prompt (the dataset's, <see cref="Training.TrainingSet.PromptOf"/>)
/// is looked up by its text in the embeddings file, each clip is sampled at the model's size from noise seeded by
/// (seed, label, index) with the flow-Euler scheduler and classifier-free guidance, decoded by the VAE, then resized to
/// the sweep's clip size by <see cref="GenerationRun"/> like every other backend's.
/// </summary>
public sealed class WanGenerator : IVideoGenerator, IDisposable
{
    readonly WanOptions options;
    readonly WanPipeline pipeline;
    readonly PromptEmbeddings embeddings;

    public WanGenerator(string name, WanOptions options)
    {
        ComputePath.Ensure();
        Name = name;
        this.options = options;
        if (!File.Exists(options.Prompts)) throw new FileNotFoundException($"{options.Prompts}: prompt-embeddings file not found", options.Prompts);
        if (options.Lora is not null && !File.Exists(options.Lora)) throw new FileNotFoundException($"{options.Lora}: LoRA file not found", options.Lora);
        pipeline = WanPipeline.Load(options.Weights, TorchDevice.Resolve(options.Device), DtypeOf(options, name), options.Lora, options.VaeTiling);
        try { embeddings = new PromptEmbeddings(options.Prompts); }
        catch { pipeline.Dispose(); throw; }
        CheckpointHash = options.ContentHash()[..16];
    }

    public string Name { get; }
    public string CheckpointHash { get; }

    public GenerationResult Generate(GenerationRequest request, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        var (frames, height, width) = ModelSize(pipeline, options, request.Spec);
        long textDim = pipeline.Transformer.Config.TextDim;
        var prompts = new Dictionary<string, Tensor>();
        Tensor? negative = null;
        try
        {
            foreach (var label in request.PerClass.Keys)
                prompts[Training.TrainingSet.PromptOf(request.Dataset, label)] = ClassPrompt(embeddings, request.Dataset, label, textDim);
            if (options.Negative is not null) negative = embeddings.Read(options.Negative, textDim);
            var settings = new ClipSettings(options.Steps, options.Cfg, options.Shift ?? pipeline.Shift, "wan-flow-euler");
            return GenerationRun.Execute(this, request, settings, job =>
            {
                using var video = pipeline.Generate(prompts[job.Prompt], negative, frames, height, width, options.Steps, options.Cfg, job.Seed, options.Shift);
                return ClipTensors.FromModel(video, frames, height, width);
            }, progress, cancel);
        }
        finally
        {
            foreach (var t in prompts.Values) t.Dispose();
            negative?.Dispose();
        }
    }

    /// <summary>The configured size, else the clip size rounded up to 1 + (VAE temporal scale)·k frames and multiples
    /// of (VAE spatial scale × patch) pixels.</summary>
    internal static (int Frames, int Height, int Width) ModelSize(WanPipeline pipeline, WanOptions options, ClipSpec spec)
    {
        int temporal = pipeline.Vae.Config.ScaleFactorTemporal;
        int spatial = pipeline.Vae.Config.ScaleFactorSpatial * pipeline.Transformer.Config.PatchSize[1];
        static int Up(int n, int step) => (n + step - 1) / step * step;
        return (options.Frames ?? 1 + Up(Math.Max(0, spec.Frames - 1), temporal), options.Height ?? Up(spec.Height, spatial), options.Width ?? Up(spec.Width, spatial));
    }

    /// <summary>The transformer's dtype (the VAE and LoRA adapters stay float32).</summary>
    internal static ScalarType DtypeOf(WanOptions options, string generator) => options.Dtype switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        var other => throw new ArgumentException($"generator {generator}: dtype must be float32 or bfloat16, not '{other}'"),
    };

    /// <summary>The embedding of a class's prompt (<see cref="Training.TrainingSet.PromptOf"/>), found by its text.</summary>
    internal static Tensor ClassPrompt(PromptEmbeddings embeddings, Dataset dataset, string label, long textDim) =>
        embeddings.ReadByText(Training.TrainingSet.PromptOf(dataset, label), textDim, $"the prompt of class '{label}' of dataset '{dataset.Name}'");

    public void Dispose()
    {
        embeddings.Dispose();
        pipeline.Dispose();
    }
}
