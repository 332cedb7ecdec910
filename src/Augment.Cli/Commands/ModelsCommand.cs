using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Augment.Data.Weights;
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
    static readonly IReferenceModel[] Models = [new WanTransformerReference(), new WanVaeReference(), new FlowEulerSchedulerReference()];

    public static Command Create()
    {
        var models = new Command("models", "Run Augment's ports of official models on reference inputs.");
        models.Subcommands.Add(Forward());
        return models;
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
        var cmd = new Command("forward", "Run a model on a reference case, fp32 on the CPU, and write its outputs under the kit's names.")
        {
            model, config, weights, inputs, output, lora, grads,
        };
        cmd.SetAction(parse => CliVerb.Run(_ =>
        {
            var name = parse.GetValue(model)!;
            var runner = Models.FirstOrDefault(m => m.Name == name) ?? throw new ArgumentException($"--model {name}: not one of {names}");
            var configPath = parse.GetValue(config)!;
            var (arguments, gradParams) = ReadConfig(configPath);
            using var weightFile = parse.GetValue(weights) is { } w ? StateDicts.Open(w) : null;
            using var inputFile = StateDicts.Open(parse.GetValue(inputs)!);
            var outputs = runner.Run(new ReferenceCase(arguments, weightFile, inputFile, parse.GetValue(lora), parse.GetValue(grads), gradParams));
            var outPath = parse.GetValue(output)!;
            SafeTensorsFile.Write(outPath, outputs.Select(kv => (kv.Key, kv.Value)),
                new Dictionary<string, string> { ["outputs"] = string.Join(",", outputs.Keys), ["model"] = name });
            foreach (var t in outputs.Values) t.Dispose();
            AnsiConsole.MarkupLineInterpolated($"wrote {outputs.Count} outputs to {outPath}");
            return 0;
        }));
        return cmd;
    }

    /// <summary>The model's arguments and the kit's grad_params, from either kind of config file.</summary>
    static (JsonObject Model, IReadOnlyList<string> GradParams) ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such config file", path);
        JsonObject root;
        try { root = JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException($"{path}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON ({e.Message})"); }
        var gradParams = root["grad_params"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
        return (root["model"] is JsonObject kit ? kit : root, gradParams);
    }
}
