using System.CommandLine;
using System.Text.Json.Nodes;
using Augment.Cli.Commands;
using Augment.Data;
using Augment.Data.Weights;
using Augment.Generator.Models.Wan;
using static TorchSharp.torch;

namespace Augment.Tests.Generator.Wan;

public class WanPipelineTests
{
    /// <summary>A tiny random Wan2.1 folder laid out like the official one: model_index.json, a sharded transformer,
    /// the kit's tiny VAE, UniPC's scheduler config, plus a prompt-embeddings file.</summary>
    internal static string TinyFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "augment-wan-" + Guid.NewGuid().ToString("N"));
        foreach (var sub in new[] { "transformer", "vae", "scheduler" }) Directory.CreateDirectory(Path.Combine(dir, sub));
        File.WriteAllText(Path.Combine(dir, "model_index.json"), """
            {"_class_name": "WanPipeline", "_diffusers_version": "0.33.0", "scheduler": ["diffusers", "UniPCMultistepScheduler"],
             "text_encoder": ["transformers", "UMT5EncoderModel"], "tokenizer": ["transformers", "T5TokenizerFast"],
             "transformer": ["diffusers", "WanTransformer3DModel"], "vae": ["diffusers", "AutoencoderKLWan"]}
            """);
        File.WriteAllText(Path.Combine(dir, "scheduler", "scheduler_config.json"), """{"_class_name": "UniPCMultistepScheduler", "flow_shift": 3.0, "prediction_type": "flow_prediction"}""");
        var transformerConfig = new JsonObject
        {
            ["_class_name"] = "WanTransformer3DModel", ["patch_size"] = new JsonArray(1, 2, 2), ["num_attention_heads"] = 2, ["attention_head_dim"] = 12,
            ["in_channels"] = 16, ["out_channels"] = 16, ["text_dim"] = 16, ["freq_dim"] = 256, ["ffn_dim"] = 32, ["num_layers"] = 2,
            ["cross_attn_norm"] = true, ["qk_norm"] = "rms_norm_across_heads", ["eps"] = 1e-6, ["image_dim"] = null, ["added_kv_proj_dim"] = null, ["rope_max_seq_len"] = 32,
        };
        File.WriteAllText(Path.Combine(dir, "transformer", "config.json"), transformerConfig.ToJsonString());
        TorchDevice.Seed(3);
        using (var model = new WanTransformer3DModel(WanTransformerConfig.FromJson(transformerConfig, "tiny")))
        {
            var tensors = model.state_dict().OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
            var map = new JsonObject();
            for (int shard = 0; shard < 2; shard++)
            {
                var name = $"diffusion_pytorch_model-0000{shard + 1}-of-00002.safetensors";
                var part = tensors.Where((_, i) => i % 2 == shard).ToList();
                SafeTensorsFile.Write(Path.Combine(dir, "transformer", name), part.Select(kv => (kv.Key, kv.Value)));
                foreach (var kv in part) map[kv.Key] = name;
            }
            File.WriteAllText(Path.Combine(dir, "transformer", "diffusion_pytorch_model.safetensors.index.json"), new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = map }.ToJsonString());
        }
        using (var g = new GoldenCase("vae"))
        {
            var vaeConfig = g.Model.DeepClone().AsObject();
            vaeConfig["_class_name"] = "AutoencoderKLWan";
            File.WriteAllText(Path.Combine(dir, "vae", "config.json"), vaeConfig.ToJsonString());
            File.Copy(Path.Combine(g.Folder, "weights.safetensors"), Path.Combine(dir, "vae", "diffusion_pytorch_model.safetensors"));
        }
        using var gen = new TorchSharp.torch.Generator(4);
        using var polyp = randn([12, 16], generator: gen);
        using var negative = randn([12, 16], generator: gen);
        SafeTensorsFile.Write(Path.Combine(dir, "prompts.safetensors"), [("polyp", polyp), ("negative", negative)],
            new Dictionary<string, string> { ["polyp"] = "a colonoscopy clip of a polyp", ["negative"] = "blurry, static" });
        return dir;
    }

    static (int Code, string Out) Sample(string dir, string outPath, long seed)
    {
        var errors = new StringWriter();
        var previous = Console.Error;
        Console.SetError(errors);
        try
        {
            var (code, text) = CliCapture.Run(() => new RootCommand { ModelsCommand.Create() }.Parse(["models", "sample", "--pipeline", dir,
                "--prompts", Path.Combine(dir, "prompts.safetensors"), "--prompt", "polyp", "--negative", "negative", "--frames", "5",
                "--height", "16", "--width", "16", "--steps", "2", "--cfg", "5", "--seed", seed.ToString(), "--device", "cpu", "--out", outPath]).Invoke());
            return (code, text + errors);
        }
        finally { Console.SetError(previous); }
    }

    static Tensor Video(string path)
    {
        using var file = new SafeTensorsFile(path);
        return file.Read("video");
    }

    [Fact]
    public void AnOfficialLayoutFolderSamplesAClipAndTheSameSeedGivesTheSameClip()
    {
        var dir = TinyFolder();
        var (code, text) = Sample(dir, Path.Combine(dir, "a.safetensors"), 7);
        Assert.True(code == 0, text);
        Assert.True(Sample(dir, Path.Combine(dir, "b.safetensors"), 7).Code == 0);
        Assert.True(Sample(dir, Path.Combine(dir, "c.safetensors"), 8).Code == 0);
        using var a = Video(Path.Combine(dir, "a.safetensors"));
        using var b = Video(Path.Combine(dir, "b.safetensors"));
        using var c = Video(Path.Combine(dir, "c.safetensors"));
        Assert.Equal([3L, 5, 16, 16], a.shape);
        Assert.True(a.eq(b).all().item<bool>(), "the same seed gave another clip");
        Assert.False(a.eq(c).all().item<bool>(), "another seed gave the same clip");
        Assert.True(a.abs().max().item<float>() <= 1f);
        var mp4 = Path.Combine(dir, "clip.mp4");
        Assert.True(Sample(dir, mp4, 7).Code == 0);
        Assert.True(new FileInfo(mp4).Length > 0);
    }

    [Fact]
    public void AMissingShardOrConfigIsAnErrorNamingTheFile()
    {
        var dir = TinyFolder();
        var shard = Path.Combine(dir, "transformer", "diffusion_pytorch_model-00002-of-00002.safetensors");
        File.Delete(shard);
        var (code, text) = Sample(dir, Path.Combine(dir, "a.safetensors"), 7);
        Assert.Equal(2, code);
        Assert.Contains("diffusion_pytorch_model-00002-of-00002.safetensors is missing", text);
        File.Delete(Path.Combine(dir, "vae", "config.json"));
        (code, text) = Sample(dir, Path.Combine(dir, "a.safetensors"), 7);
        Assert.Equal(2, code);
        Assert.Contains(Path.Combine(dir, "vae", "config.json") + " is missing", text);
    }
}
