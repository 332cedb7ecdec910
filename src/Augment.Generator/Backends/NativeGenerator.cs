using TorchSharp;
using Augment.Data;
using Augment.Data.Numerics;
using Augment.Data.Video;
using Augment.Generator.Models.Native;
using Augment.Generator.Sampling;
using Augment.Generator.Training;
using static TorchSharp.torch;

namespace Augment.Generator.Backends;

/// <summary>
/// The native latent video engine: base checkpoint only ("hunyuanvideo" stand-in) or base + LoRA adapter ("medgen"). Each
/// clip is sampled on its own in latent space from noise seeded by (seed, label, index), so clips are reproducible and
/// nested across counts, then decoded to pixels by the base's autoencoder.
/// </summary>
public sealed class NativeGenerator : IVideoGenerator
{
    readonly VideoDiT model;
    readonly VideoAutoencoder autoencoder;
    readonly GeneratorConfig config;
    readonly Device device;

    public NativeGenerator(string name, string baseCheckpoint, string? adapterPath, GeneratorConfig config)
    {
        ComputePath.Ensure();
        Name = name;
        this.config = config;
        device = TorchDevice.Resolve(config.Device);
        (model, autoencoder, _) = Checkpoints.LoadBase(baseCheckpoint);
        if (adapterPath is not null)
        {
            var adapter = Checkpoints.LoadAdapter(model, adapterPath);
            var baseHash = FileHash.Short(baseCheckpoint);
            if (adapter.BaseHash != baseHash)
                throw new InvalidOperationException($"{adapterPath}: adapter was trained on base {adapter.BaseHash}, but {baseCheckpoint} is {baseHash}");
        }
        model.to(device);
        model.eval();
        autoencoder.to(device);
        CheckpointHash = adapterPath is null ? FileHash.Short(baseCheckpoint) : FileHash.Short(baseCheckpoint, adapterPath);
    }

    public string Name { get; }
    public string CheckpointHash { get; }
    public NativeModelConfig Model => model.Config;

    public GenerationResult Generate(GenerationRequest request, IProgress<double>? progress = null, CancellationToken cancel = default) =>
        GenerationRun.Execute(this, request, ClipSettings.Of(config.Sampler), job => Sample(job.Prompt, job.Seed), progress, cancel);

    /// <summary>One clip at the model's own size for this prompt and seed.</summary>
    public Clip Sample(string prompt, long seed)
    {
        using var scope = NewDisposeScope();
        var m = model.Config;
        using var rng = new TorchSharp.torch.Generator((ulong)seed);
        var noise = randn([1, .. m.LatentShape], generator: rng).to(device);
        var bags = PromptBag.Batch([prompt], m.PromptBuckets).to(device);
        var latent = FlowSampler.Sample((xt, t, b) => model.forward(xt, t, b), noise, bags, config.Sampler);
        using var _ = no_grad();
        return ClipTensors.FromModel(autoencoder.Decode(latent)[0], m.Frames, m.Height, m.Width);
    }
}
