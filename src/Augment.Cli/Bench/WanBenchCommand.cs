using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Augment.Data;
using Augment.Data.Numerics;
using Augment.Generator.Adapters;
using Augment.Generator.Models.Wan;
using Spectre.Console;
using static TorchSharp.torch;

namespace Augment.Cli.Bench;

/// <summary>
/// augment bench wan-transformer: the Wan transformer's forward and one LoRA training step (forward, backward of the
/// adapters) on a config in the reference kit's format, random weights and inputs, fp32 on the CPU; scripts/bench_wan_pytorch.py
/// times the official code on the same config and thread count, for the ratio.
/// </summary>
public static class WanBenchCommand
{
    /// <summary>1.3B's width (12 heads × 128, ffn 8960, text 4096) with 2 layers, 512 video tokens and 128 text tokens.</summary>
    public const string DefaultConfig = """
        {"model": {"num_attention_heads": 12, "attention_head_dim": 128, "in_channels": 16, "out_channels": 16, "text_dim": 4096,
                   "freq_dim": 256, "ffn_dim": 8960, "num_layers": 2, "rope_max_seq_len": 1024},
         "inputs": {"hidden_states": [1, 16, 2, 32, 32], "encoder_hidden_states": [1, 128, 4096]},
         "lora_rank": 32}
        """;

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "a kit-format config (model, inputs shapes, lora_rank); default: 1.3B's width, 2 layers, 512 tokens" };
        var threads = new Option<int>("--threads") { Description = "libtorch threads (0: libtorch's default)", DefaultValueFactory = _ => 0 };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 3 };
        var cmd = new Command("wan-transformer", "Time the Wan transformer's forward and a LoRA training step (median of --repeats after one warm-up).")
        {
            config, threads, repeats,
        };
        cmd.SetAction(parse =>
        {
            ComputePath.Ensure();
            var root = JsonNode.Parse(parse.GetValue(config) is { } path ? File.ReadAllText(path) : DefaultConfig)!.AsObject();
            using var _ = new TorchThreads(parse.GetValue(threads));
            var shapes = root["inputs"]!.AsObject();
            long[] Shape(string name) => shapes[name]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();
            TorchDevice.Seed(0);
            using var model = new WanTransformer3DModel(WanTransformerConfig.FromJson(root["model"]!.AsObject(), "--config"));
            model.eval();
            using var x = randn(Shape("hidden_states"));
            using var text = randn(Shape("encoder_hidden_states"));
            using var t = HeldScalars.Full([x.shape[0]], 500f);
            int n = parse.GetValue(repeats);
            double forward = Median(n, () => { using var __ = no_grad(); model.forward(x, t, text).Dispose(); });
            foreach (var p in model.parameters()) p.requires_grad = false;
            PeftLora.AddAdapters(model, root["lora_rank"]?.GetValue<int>() ?? 32, root["lora_rank"]?.GetValue<int>() ?? 32, PeftLora.DefaultTargets);
            var lora = PeftLora.Parameters(model);
            foreach (var (_, p) in lora) p.requires_grad = true;
            double step = Median(n, () =>
            {
                using var scope = NewDisposeScope();
                model.forward(x, t, text).pow(HeldScalars.Two).mean().backward();
                foreach (var (_, p) in lora) p.grad?.zero_();
            });
            var table = new Table().Title($"wan-transformer, {get_num_threads()} threads, {model.parameters().Sum(p => p.numel()):N0} parameters")
                .AddColumns("work", "median");
            table.AddRow("forward (no grad)", $"{forward * 1000:F0} ms");
            table.AddRow("LoRA step (forward + backward)", $"{step * 1000:F0} ms");
            AnsiConsole.Write(table);
            return 0;
        });
        return cmd;
    }

    static double Median(int repeats, Action work)
    {
        work();
        return Stats.Median(Enumerable.Range(0, Math.Max(1, repeats)).Select(_ =>
        {
            var sw = Stopwatch.StartNew();
            work();
            return sw.Elapsed.TotalSeconds;
        }).ToList());
    }
}
