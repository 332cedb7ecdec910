using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Augment.Classifier.Models;
using Augment.Data.Weights;
using Augment.Data;
using Augment.Data.Video;
using Augment.Generator;
using Augment.Generator.Conditioning;
using Augment.Generator.Pipelines;
using Augment.Generator.Reference;
using Spectre.Console;

namespace Augment.Cli.Commands;

/// <summary>
/// `augment models forward`: runs one of Augment's ports of an official model on a reference case and writes its outputs,
/// so anyone can compare them with the official code's (the reference kit writes both sides in the same format).
/// </summary>
public static class ModelsCommand
{
    /// <summary>Every model the verb runs, by the kit's name.</summary>
    static readonly IReferenceModel[] Models =
        [new WanTransformerReference(), new WanVaeReference(), new FlowEulerSchedulerReference(), new TorchvisionVideoReference()];

    public static Command Create()
    {
        var models = new Command("models", "Run Augment's ports of official models on reference inputs.");
        models.Subcommands.Add(Forward());
        models.Subcommands.Add(Sample());
        return models;
    }

    /// <summary>`augment models sample`: one clip from an official Wan2.1 diffusers folder and precomputed prompt embeddings.</summary>
    static Command Sample()
    {
        var pipeline = new Option<string>("--pipeline") { Description = "the Wan2.1 diffusers folder (model_index.json, transformer/, vae/, scheduler/)", Required = true };
        var prompts = new Option<string>("--prompts") { Description = "prompt embeddings (.safetensors: one [L,4096] tensor per prompt, its text in the metadata)", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "the name of the prompt's embedding in --prompts", Required = true };
        var negative = new Option<string?>("--negative") { Description = "the name of the negative prompt's embedding (classifier-free guidance)" };
        var frames = new Option<int>("--frames") { Description = "frames, 1 + 4k", DefaultValueFactory = _ => 81 };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 480 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 832 };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 50 };
        var cfg = new Option<double>("--cfg") { Description = "guidance scale (needs --negative unless 1)", DefaultValueFactory = _ => 5.0 };
        var shift = new Option<double?>("--shift") { Description = "flow shift (default: the scheduler folder's)" };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 0 };
        var lora = new Option<string?>("--lora") { Description = "a PEFT/diffusers LoRA file for the transformer" };
        var device = new Option<string>("--device") { Description = "auto|cpu|cuda", DefaultValueFactory = _ => "auto" };
        var dtype = new Option<string>("--dtype") { Description = "the transformer's dtype: float32|bfloat16", DefaultValueFactory = _ => "float32" };
        var output = new Option<string>("--out") { Description = "clip.mp4, or .safetensors for the raw [3,F,H,W] video in [-1,1]", Required = true };
        var vaeTiling = new Option<bool>("--vae-tiling") { Description = "decode frames larger than 256 px in diffusers' spatial tiles (256 px every 192; false: whole frames)", DefaultValueFactory = _ => true };
        var cmd = new Command("sample", "Generate one clip with an official Wan2.1 text-to-video folder (flow-Euler sampler, seeded).")
        {
            pipeline, prompts, prompt, negative, frames, height, width, steps, cfg, shift, seed, lora, device, dtype, output, vaeTiling,
        };
        cmd.SetAction(parse => CliVerb.Run(_ =>
        {
            var type = parse.GetValue(dtype) switch
            {
                "float32" => TorchSharp.torch.ScalarType.Float32,
                "bfloat16" => TorchSharp.torch.ScalarType.BFloat16,
                var other => throw new ArgumentException($"--dtype must be float32 or bfloat16, not '{other}'"),
            };
            using var wan = WanPipeline.Load(parse.GetValue(pipeline)!, TorchDevice.Resolve(parse.GetValue(device)!), type, parse.GetValue(lora), parse.GetValue(vaeTiling));
            using var embeddings = new PromptEmbeddings(parse.GetValue(prompts)!);
            long textDim = wan.Transformer.Config.TextDim;
            using var cond = embeddings.Read(parse.GetValue(prompt)!, textDim);
            using var uncond = parse.GetValue(negative) is { } n ? embeddings.Read(n, textDim) : null;
            using var video = wan.Generate(cond, uncond, parse.GetValue(frames), parse.GetValue(height), parse.GetValue(width),
                parse.GetValue(steps), parse.GetValue(cfg), parse.GetValue(seed), parse.GetValue(shift));
            var outPath = parse.GetValue(output)!;
            if (outPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                SafeTensorsFile.Write(outPath, [("video", video)], new Dictionary<string, string> { ["prompt"] = embeddings.Text(parse.GetValue(prompt)!) ?? "" });
            else
                VideoIO.WriteMp4(outPath, ClipTensors.FromModel(video, (int)video.shape[1], (int)video.shape[2], (int)video.shape[3]), fps: 16);
            AnsiConsole.MarkupLineInterpolated($"wrote {outPath} ({video.shape[1]}×{video.shape[2]}×{video.shape[3]})");
            return 0;
        }));
        return cmd;
    }

    static Command Forward()
    {
        var names = string.Join("|", Models.Select(m => m.Name));
        var model = new Option<string>("--model") { Description = $"which model: {names}", Required = true };
        var config = new Option<string>("--config") { Description = "the reference kit's config.json (model arguments under \"model\") or the model's own diffusers config.json", Required = true };
        var weights = new Option<string?>("--weights") { Description = "state dict with the official names (.safetensors, sharded index, folder or .pth)" };
        var inputs = new Option<string>("--inputs") { Description = "io.safetensors holding the inputs under the kit's names", Required = true };
        var output = new Option<string>("--out") { Description = "where to write the outputs (.safetensors)", Required = true };
        var lora = new Option<string?>("--lora") { Description = "a PEFT/diffusers LoRA file to apply" };
        var grads = new Option<bool>("--grads") { Description = "also write loss = mean(output²) and its gradients" };
        var tiling = new Option<bool>("--tiling") { Description = "wan-vae: tile spatially as diffusers' enable_tiling() (tiles of 256 px every 192 px unless the config's \"tiling\" object, which also turns it on, says otherwise)" };
        var cmd = new Command("forward", "Run a model on a reference case, fp32 on the CPU, and write its outputs under the kit's names.")
        {
            model, config, weights, inputs, output, lora, grads, tiling,
        };
        cmd.SetAction(parse => CliVerb.Run(_ =>
        {
            var name = parse.GetValue(model)!;
            var runner = Models.FirstOrDefault(m => m.Name == name) ?? throw new ArgumentException($"--model {name}: not one of {names}");
            var configPath = parse.GetValue(config)!;
            var (arguments, gradParams, hashSeed, tiles) = ReadConfig(configPath);
            tiles ??= parse.GetValue(tiling) ? new JsonObject() : null;
            if (tiles is not null && name != "wan-vae") throw new ArgumentException($"--model {name}: tiling is for wan-vae");
            using var weightFile = parse.GetValue(weights) is { } w ? StateDicts.Open(w) : null;
            using var inputFile = StateDicts.Open(parse.GetValue(inputs)!);
            var outputs = runner.Run(new ReferenceCase(arguments, weightFile, inputFile, parse.GetValue(lora), parse.GetValue(grads), gradParams)
            {
                HashInitSeed = weightFile is null ? hashSeed : null,
                Tiling = tiles,
            });
            var outPath = parse.GetValue(output)!;
            SafeTensorsFile.Write(outPath, outputs.Select(kv => (kv.Key, kv.Value)),
                new Dictionary<string, string> { ["outputs"] = string.Join(",", outputs.Keys), ["model"] = name });
            foreach (var t in outputs.Values) t.Dispose();
            AnsiConsole.MarkupLineInterpolated($"wrote {outputs.Count} outputs to {outPath}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>The model's arguments, the kit's grad_params, for an --init hash case its seed, and a tiled VAE case's
    /// tiling (enable_tiling's arguments), from either kind of config file.</summary>
    static (JsonObject Model, IReadOnlyList<string> GradParams, long? HashSeed, JsonObject? Tiling) ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such config file", path);
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON ({e.Message})"); }
        var gradParams = root["grad_params"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
        long? hashSeed = root["init"]?.GetValue<string>() == "hash" ? root["seed"]?.GetValue<long>() ?? 0 : null;
        if (root["tiling"] is { } t && t is not JsonObject) throw new InvalidDataException($"{path}: \"tiling\" must be an object of enable_tiling() arguments");
        return (root["model"] is JsonObject kit ? kit : root, gradParams, hashSeed, root["model"] is JsonObject ? root["tiling"] as JsonObject : null);
    }
}
