using Augment.Data.Numerics;
using System.CommandLine;
using Augment.Data;
using Augment.Generator;
using Spectre.Console;

namespace Augment.Experiments.Cli;

/// <summary>augment bench generator: training step time, sampling clips/s, FLOPs per clip, MFU, scaling table.</summary>
public static class GeneratorBenchCommand
{
    public static Command Create()
    {
        var profile = new Option<string>("--profile") { Description = "Generator profile to measure (tiny, small, full).", DefaultValueFactory = _ => "tiny" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this path." };
        var cmd = new Command("generator", "Measure the native generator: training step time, sampling clips/s, FLOPs per clip and MFU against this machine's GEMM ceiling, and sampling time vs frames and resolution.")
        {
            profile, device, json,
        };
        cmd.SetAction(parse =>
        {
            var numerics = ComputePath.Ensure();
            var config = GeneratorConfig.ForProfile(parse.GetValue(profile)!) with { Device = parse.GetValue(device)! };
            GeneratorBenchResult result = null!;
            AnsiConsole.Status().Start("benchmarking", ctx =>
                result = GeneratorBenchmark.Run(config, progress: new SyncProgress<string>(s => ctx.Status(s))));
            var m = result.Model;
            var main = new Table().Title($"generator ({parse.GetValue(profile)}, {result.Device}, {m.Frames}x{m.Height}x{m.Width}, {result.Parameters:N0} parameters, oneDNN {(numerics.OneDnnEnabled ? $"on ({numerics.Isa})" : "off")})")
                .AddColumns("measure", "value");
            main.AddRow("GEMM ceiling (libtorch, this run)", $"{result.GemmCeilingGflops:F1} GFLOP/s");
            main.AddRow($"training step (batch {result.BatchSize})", $"{result.TrainStepSeconds * 1000:F0} ms");
            main.AddRow("training FLOPs per step", $"{result.TrainGflopsPerStep:F2} GFLOP");
            main.AddRow("training MFU", $"{result.TrainMfu:P1}");
            main.AddRow($"sampling ({result.SamplerSteps} {result.Solver} steps, {result.ModelEvaluationsPerClip} model calls)", $"{result.ClipsPerSecond:F2} clips/s ({result.SamplingSecondsPerClip * 1000:F0} ms/clip)");
            main.AddRow("FLOPs per sampled clip", $"{result.GflopsPerClip:F2} GFLOP");
            main.AddRow("sampling MFU", $"{result.SamplingMfu:P1}");
            AnsiConsole.Write(main);
            var scaling = new Table().Title("sampling time vs clip size").AddColumns("frames", "size", "tokens", "s/clip", "GFLOP/clip", "MFU");
            foreach (var s in result.Scaling)
                scaling.AddRow(s.Frames.ToString(), $"{s.Height}x{s.Width}", s.Tokens.ToString(), $"{s.SecondsPerClip:F3}", $"{s.GflopsPerClip:F2}", $"{s.Mfu:P1}");
            AnsiConsole.Write(scaling);
            if (parse.GetValue(json) is string path)
            {
                AtomicFile.WriteJson(path, result);
                AnsiConsole.MarkupLineInterpolated($"JSON: {Path.GetFullPath(path)}");
            }
            return 0;
        });
        return cmd;
    }
}
