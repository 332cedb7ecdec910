using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Augment.Cli.Commands;
using Augment.Data;
using Augment.Data.Numerics;
using Augment.Generator.Models.Diffusers;
using Augment.Generator.Models.Wan;
using Spectre.Console;
using static TorchSharp.torch;

namespace Augment.Cli.Bench;

/// <summary>
/// augment bench wan-vae-memory: the Wan VAE's decode memory computed from its config (<see cref="WanVaeMemory"/>),
/// fp32 and bf16, with and without diffusers' default tiling; with --measure, the same decode run here on the CPU
/// (random weights, fp32), its peak resident memory above what the process held before, next to the computed value.
/// </summary>
public static class WanVaeMemoryBenchCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "the VAE's config.json (diffusers) or a kit config; default: the official Wan2.1 VAE" };
        var frames = new Option<int>("--frames") { DefaultValueFactory = _ => 81 };
        var height = new Option<int>("--height") { DefaultValueFactory = _ => 480 };
        var width = new Option<int>("--width") { DefaultValueFactory = _ => 832 };
        var measure = new Option<int?>("--measure") { Description = "also decode a clip of this many frames (1 + 4k) at --height×--width on the CPU in fp32 and report its peak RSS" };
        var tiled = new Option<bool>("--measure-tiled") { Description = "with --measure: decode with diffusers' default tiling" };
        var cmd = new Command("wan-vae-memory", "The Wan VAE's decode memory: computed from its config, and optionally measured on the CPU.")
        {
            config, frames, height, width, measure, tiled,
        };
        cmd.SetAction(parse => CliVerb.Run(_ =>
        {
            var vae = parse.GetValue(config) is { } path
                ? AutoencoderKLWanConfig.FromJson(JsonNode.Parse(File.ReadAllText(path)) is JsonObject o ? o["model"] as JsonObject ?? o : throw new InvalidDataException($"{path}: not a JSON object"), path)
                : new AutoencoderKLWanConfig();
            long parameters;
            using (var meta = new AutoencoderKLWan(vae, new Device(TorchSharp.DeviceType.META))) parameters = meta.parameters().Sum(p => p.numel());
            int f = parse.GetValue(frames), h = parse.GetValue(height), w = parse.GetValue(width);
            var table = new Table().Title($"Wan VAE decode, {f}×{h}×{w}, {parameters / 1e6:F1} M parameters (computed)")
                .AddColumns("dtype", "tiling", "weights", "caches", "largest chunk live set (where)", "output", "peak");
            foreach (var (name, bytes) in new[] { ("fp32", 4), ("bf16", 2) })
                foreach (var tiling in new VaeTiling?[] { null, new VaeTiling() })
                {
                    var e = WanVaeMemory.Decode(vae, f, h, w, bytes, tiling, parameters);
                    table.AddRow(name, tiling is null ? "off" : "256/192", Gb(e.Weights), Gb(e.Caches), $"{Gb(e.Activations)} ({e.Where})", Gb(e.Output), Gb(e.Peak));
                }
            AnsiConsole.Write(table);
            if (parse.GetValue(measure) is { } mf) Measure(vae, parameters, mf, h, w, parse.GetValue(tiled) ? new VaeTiling() : null);
            return 0;
        }));
        return cmd;
    }

    /// <summary>Decodes a random latent with random weights and reads the kernel's peak RSS (VmHWM, reset just before).</summary>
    static void Measure(AutoencoderKLWanConfig vae, long parameters, int frames, int height, int width, VaeTiling? tiling)
    {
        ComputePath.Ensure();
        using var model = new AutoencoderKLWan(vae) { Tiling = tiling };
        model.eval();
        using var _ = no_grad();
        using var latent = randn([1, vae.ZDim, 1 + (frames - 1) / vae.ScaleFactorTemporal, height / vae.ScaleFactorSpatial, width / vae.ScaleFactorSpatial]);
        long before = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the current RSS
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using (var video = model.Decode(latent)) { }
        double seconds = watch.Elapsed.TotalSeconds;
        long peak = Status("VmHWM");
        var e = WanVaeMemory.Decode(vae, frames, height, width, 4, tiling, parameters);
        AnsiConsole.WriteLine(
            $"measured, fp32 on the CPU, {frames}×{height}×{width}, tiling {(tiling is null ? "off" : "256/192")}: peak RSS {Gb(peak - before)} above the {Gb(before)} held before " +
            $"(computed caches + live set + output: {Gb(e.Caches + e.Activations + e.Output)}; {seconds:F0} s)");
    }

    /// <summary>A /proc/self/status field in bytes.</summary>
    static long Status(string field)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"/proc/self/status has no {field} (Linux only)");
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    static string Gb(long bytes) => (bytes / 1e9).ToString("F2", CultureInfo.InvariantCulture) + " GB";
}
