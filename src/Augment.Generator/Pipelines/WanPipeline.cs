using System.Text.Json;
using System.Text.Json.Nodes;
using Augment.Data.Weights;
using Augment.Generator.Adapters;
using Augment.Generator.Models.Diffusers;
using Augment.Generator.Models.Wan;
using Augment.Generator.Sampling;
using Augment.Generator.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Generator.Pipelines;

/// <summary>
/// A Wan2.1 text-to-video pipeline from its official diffusers folder: <c>model_index.json</c>, <c>transformer/</c> and
/// <c>vae/</c> (each a <c>config.json</c> and a safetensors file or a sharded <c>*.safetensors.index.json</c>), and
/// <c>scheduler/scheduler_config.json</c>, whose shift (<c>shift</c>, or UniPC's <c>flow_shift</c>) the flow-Euler
/// scheduler takes (UniPC itself is not ported). Weights load strictly; a missing file is an error naming it.
/// </summary>
public sealed class WanPipeline : IDisposable
{
    public WanTransformer3DModel Transformer { get; }
    public AutoencoderKLWan Vae { get; }
    /// <summary>The scheduler folder's shift (1.0 where it names none).</summary>
    public double Shift { get; }
    public string Folder { get; }

    WanPipeline(string folder, WanTransformer3DModel transformer, AutoencoderKLWan vae, double shift)
    {
        Folder = folder;
        Transformer = transformer;
        Vae = vae;
        Shift = shift;
    }

    /// <summary>Loads the folder onto <paramref name="device"/>; the transformer is then cast to <paramref name="dtype"/>
    /// (it is built in float32 first, so a 14B model needs 57 GB there for a moment); the VAE stays float32 and, with
    /// <paramref name="vaeTiling"/>, decodes frames larger than 256 px in diffusers' default tiles (256 px every 192).</summary>
    public static WanPipeline Load(string folder, Device device, ScalarType dtype = ScalarType.Float32, string? lora = null, bool vaeTiling = true)
    {
        var index = ReadJson(Path.Combine(folder, "model_index.json"), "a diffusers pipeline folder has one");
        Expect(index, "transformer", "WanTransformer3DModel", folder);
        Expect(index, "vae", "AutoencoderKLWan", folder);
        var transformerConfig = WanTransformerConfig.FromJson(ReadJson(Path.Combine(folder, "transformer", "config.json"), "the transformer's settings"), Path.Combine(folder, "transformer", "config.json"));
        var vaeConfig = AutoencoderKLWanConfig.FromJson(ReadJson(Path.Combine(folder, "vae", "config.json"), "the VAE's settings"), Path.Combine(folder, "vae", "config.json"));
        var scheduler = ReadJson(Path.Combine(folder, "scheduler", "scheduler_config.json"), "the scheduler's settings");
        double shift = (scheduler["shift"] ?? scheduler["flow_shift"])?.GetValue<double>() ?? 1.0;
        if (vaeConfig.ZDim != transformerConfig.InChannels)
            throw new InvalidDataException($"{folder}: the VAE's z_dim {vaeConfig.ZDim} differs from the transformer's in_channels {transformerConfig.InChannels}");

        var transformer = new WanTransformer3DModel(transformerConfig, device);
        var vae = new AutoencoderKLWan(vaeConfig, device) { Tiling = vaeTiling ? new VaeTiling() : null };
        try
        {
            using (var weights = StateDicts.Open(Path.Combine(folder, "transformer"))) StateDictLoader.Load(transformer, weights);
            using (var weights = StateDicts.Open(Path.Combine(folder, "vae"))) StateDictLoader.Load(vae, weights);
            if (dtype != ScalarType.Float32) transformer.to(dtype);
            if (lora is not null) PeftLora.Attach(transformer, lora);
        }
        catch
        {
            transformer.Dispose();
            vae.Dispose();
            throw;
        }
        transformer.eval();
        vae.eval();
        return new WanPipeline(folder, transformer, vae, shift);
    }

    /// <summary>
    /// One clip [3,F,H,W] in [−1,1]: seeded noise [z, 1+(F−1)/4, H/8, W/8] (F = 1 + 4k, H and W multiples of 16),
    /// <see cref="WanSampler"/> with the flow-Euler scheduler, then the latents denormalised and decoded.
    /// </summary>
    public Tensor Generate(Tensor prompt, Tensor? negative, int frames, int height, int width, int steps, double guidanceScale, long seed, double? shift = null)
    {
        var vc = Vae.Config;
        int spatial = vc.ScaleFactorSpatial * Transformer.Config.PatchSize[1];
        if ((frames - 1) % vc.ScaleFactorTemporal != 0 || height % spatial != 0 || width % spatial != 0)
            throw new ArgumentException($"frames must be 1 + {vc.ScaleFactorTemporal}k and height/width multiples of {spatial} (got {frames}×{height}×{width})");
        using var scope = NewDisposeScope();
        var device = Transformer.Weights.device;
        using var generator = new TorchSharp.torch.Generator((ulong)seed);
        var noise = randn([1, vc.ZDim, (frames - 1) / vc.ScaleFactorTemporal + 1, height / vc.ScaleFactorSpatial, width / vc.ScaleFactorSpatial], generator: generator).to(device);
        var scheduler = new FlowMatchEulerDiscreteScheduler(1000, shift ?? Shift);
        var latents = WanSampler.Sample(Transformer, scheduler, steps, noise, prompt.unsqueeze(0).to(device), negative?.unsqueeze(0).to(device), guidanceScale);
        using var _ = no_grad();
        var video = Vae.Decode(Vae.Denormalize(latents));
        return video[0].cpu().MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Transformer.Dispose();
        Vae.Dispose();
    }

    static JsonObject ReadJson(string path, string what)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} is missing ({what}): not a complete Wan2.1 diffusers folder", path);
        try { return JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON ({e.Message})"); }
    }

    static void Expect(JsonObject index, string component, string className, string folder)
    {
        var named = index[component]?.AsArray().Select(n => n?.GetValue<string>()).ToArray();
        if (named is not [_, var cls] || cls != className)
            throw new InvalidDataException($"{Path.Combine(folder, "model_index.json")}: {component} is {index[component]?.ToJsonString() ?? "absent"}, expected [\"diffusers\", \"{className}\"]");
    }
}
