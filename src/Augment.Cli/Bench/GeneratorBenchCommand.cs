using Augment.Experiments.Config;
using Augment.Data.Numerics;
using System.CommandLine;
using Augment.Data;
using Augment.Generator;
using Spectre.Console;

namespace Augment.Cli.Bench;

/// <summary>augment bench generator: training step time, sampling clips/s, FLOPs per clip, MFU, scaling table.</summary>
public static class GeneratorBenchCommand
{
    public static Command Create()
    {
        var profile = new Option<string>("--profile") { Description = "Generator profile to measure (tiny, small, full).", DefaultValueFactory = _ => "tiny" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this path." };
        var cmd = new Command("generator", "Measure the native generator, its video autoencoder and latent DiT apart: training step time, encoding, decoding and sampling per clip, FLOPs and MFU against this machine's GEMM ceiling, and sampling time vs frames and resolution.")
        {
            profile, device, json,
        };
        cmd.SetAction(parse =>
        {
            var numerics = ComputePath.Ensure();
            var config = Profiles.Load(parse.GetValue(profile)!).Engine with { Device = parse.GetValue(device)! };
            GeneratorBenchResult result = null!;
            AnsiConsole.Status().Start("benchmarking", ctx =>
                result = GeneratorBenchmark.Run(config, progress: new SyncProgress<string>(s => ctx.Status(s))));
            var m = result.Model;
            var main = new Table().Title($"generator ({parse.GetValue(profile)}, {result.Device}, clip {m.Frames}x{m.Height}x{m.Width} ↔ latent {string.Join("x", m.LatentShape)}, " +
                    $"autoencoder {result.AutoencoderParameters:N0} + latent DiT {result.DenoiserParameters:N0} parameters, oneDNN {(numerics.OneDnnEnabled ? $"on ({numerics.Isa})" : "off")})")
                .AddColumns("part", "work", "time", "GFLOP", "MFU");
            foreach (var x in result.Measures)
                main.AddRow(x.Part, Markup.Escape(x.Work), $"{x.Seconds * 1000:F1} ms", $"{x.Gflops:F3}", $"{x.Mfu:P1}");
            main.Caption($"GEMM ceiling (libtorch, this run) {result.GemmCeilingGflops:F1} GFLOP/s; sampling + decoding: {result.ClipsPerSecond:F1} clips/s");
            AnsiConsole.Write(main);
            var scaling = new Table().Title("sampling + decoding time vs clip size").AddColumns("frames", "size", "tokens", "s/clip", "GFLOP/clip", "MFU");
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
