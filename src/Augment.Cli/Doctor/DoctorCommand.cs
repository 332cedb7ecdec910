using Augment.Experiments.Config;
using System.CommandLine;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using Augment.Classifier.Models;
using Augment.Build;
using Augment.Data;
using Augment.Data.Numerics;
using Augment.Data.Video;
using Augment.Generator;
using Augment.Generator.Models.Native;
using OpenCvSharp;
using Spectre.Console;
using static TorchSharp.torch;

namespace Augment.Cli.Doctor;

/// <summary>
/// `augment doctor`: what a user runs first on a new machine. Versions, CPU and ISA, the numerics decision and
/// self-check, CUDA, which video codecs OpenCV decodes, the libstdc++ fix, free disk. Exit 1 when something is broken.
/// `--stress N` also counts non-finite training steps of the real models over N repeats: the way to see whether a
/// CPU's kernels misbehave (the self-check is too short to catch a rare glitch).
/// </summary>
public static class DoctorCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--output") { Description = "Folder whose free disk space to check", DefaultValueFactory = _ => "runs" };
        var stress = new Option<int>("--stress") { Description = "Also run N forward+backward steps of the classifier and of the generator and count non-finite ones", DefaultValueFactory = _ => 0 };
        var cmd = new Command("doctor", "Check this machine: versions, CPU ISA, numerics self-check, CUDA, video codecs, disk. Exit 1 when something is broken.");
        cmd.Options.Add(output);
        cmd.Options.Add(stress);
        cmd.SetAction(parse => Run(parse.GetValue(output)!, parse.GetValue(stress)));
        return cmd;
    }

    static int Run(string output, int stressSteps)
    {
        var table = new Table().Title("augment doctor").AddColumns("check", "result", "");
        bool broken = false;
        void Row(string what, string value, bool? ok = null)
        {
            if (ok == false) broken = true;
            table.AddRow(Markup.Escape(what), Markup.Escape(value), ok switch { true => "[green]ok[/]", false => "[red]BROKEN[/]", null => "" });
        }

        Row(".NET", RuntimeInformation.FrameworkDescription);
        Row("OS", RuntimeInformation.OSDescription);
        Row("CPU", $"{CpuModel()} ({Environment.ProcessorCount} logical cores), best ISA {OneDnn.CpuIsa()}");
        Row("TorchSharp", typeof(TorchSharp.torch).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "?");
        Row("libtorch package", LibtorchPackage() ?? "not in this build's dependencies");
        Row("libLibTorchSharp.so GLIBCXX_3.4.32 need", GlibcxxNeed());
        try
        {
            Row("oneDNN", OneDnn.Version());
            var clock = Stopwatch.StartNew();
            var n = ComputePath.Ensure();
            Row("oneDNN ISA cap", $"{n.Isa}: {n.IsaReason}");
            Row("oneDNN kernels", n.OneDnnEnabled ? "on" : "off (ATen's own kernels)");
            Row("numerics self-check", n.Check is null ? $"skipped ({ComputePath.CheckSetting})" : $"{n.Check.Detail} ({clock.ElapsedMilliseconds} ms)", n.Check?.Ok);
            if (n.Notice is not null) Row("numerics fallback", n.Notice);
            Row("libtorch threads", $"{get_num_threads()} (training runs use --threads, default 1)");
            Row("CUDA", cuda.is_available() ? $"{cuda.device_count()} device(s) visible" : $"not available (build flavour {BuildDevice()}; CUDA_VISIBLE_DEVICES={Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") ?? "unset"})");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Row("libtorch", e.Message, false);
        }

        Row("OpenCV", Cv2.GetVersionString());
        foreach (var (codec, ok, detail) in Codecs()) Row($"decode {codec}", detail, codec == "mp4v" ? ok : null);
        Row("free disk", FreeDisk(output));
        AnsiConsole.Write(table);

        if (stressSteps > 0) broken |= Stress(stressSteps);
        AnsiConsole.MarkupLine(broken ? "[red]Something is broken; see the rows marked BROKEN.[/]" : "[green]This machine is ready.[/]");
        return broken ? 1 : 0;
    }

    /// <summary>Counts non-finite losses and gradients of the tiny classifier and generator over N steps each (no updates).</summary>
    static bool Stress(int steps)
    {
        var classifier = ClassifierModels.Create(new Classifier.Models.ModelConfig("r2plus1d", 5, 16, 2, 8, 32, 32));
        var engine = Profiles.Load(Profiles.DefaultName).Engine.Model;
        var generator = new VideoDiT(engine);
        var autoencoder = new VideoAutoencoder(engine);
        using var gen = new TorchSharp.torch.Generator(1);
        var results = new List<(string Model, int Bad, double Seconds)>();
        AnsiConsole.Progress().Start(ctx =>
        {
            foreach (var (name, step) in new (string, Func<(double, double)>)[]
                     {
                         ("classifier (r2plus1d, batch 8 of 8×32×32)", () => ClassifierStep(classifier, gen)),
                         ($"generator autoencoder (tiny, batch 8 of {engine.Frames}×{engine.Height}×{engine.Width})", () => AutoencoderStep(autoencoder, engine, gen)),
                         ($"generator latent DiT (tiny, batch 16 of {string.Join("×", engine.LatentShape)})", () => GeneratorStep(generator, gen)),
                     })
            {
                var task = ctx.AddTask(Markup.Escape(name), maxValue: steps);
                int bad = 0;
                var clock = Stopwatch.StartNew();
                for (int i = 0; i < steps; i++)
                {
                    var (loss, grad) = step();
                    if (!double.IsFinite(loss) || !double.IsFinite(grad)) bad++;
                    task.Increment(1);
                }
                results.Add((name, bad, clock.Elapsed.TotalSeconds));
            }
        });
        var table = new Table().Title($"stress: {steps} forward+backward steps per model, oneDNN {ComputePath.Ensure().Isa}, kernels {(OneDnn.Enabled ? "on" : "off")}")
            .AddColumns("model", "non-finite steps", "ms/step");
        foreach (var (model, bad, seconds) in results)
            table.AddRow(Markup.Escape(model), bad == 0 ? "[green]0[/]" : $"[red]{bad} ({(double)bad / steps:P2})[/]", $"{1000 * seconds / steps:0.0}");
        AnsiConsole.Write(table);
        return results.Any(r => r.Bad > 0);
    }

    static (double, double) ClassifierStep(VideoClassifier model, TorchSharp.torch.Generator gen)
    {
        using var scope = NewDisposeScope();
        model.train();
        model.zero_grad();
        var x = randn(new long[] { 8, 3, 8, 32, 32 }, generator: gen);
        var y = randint(0, 5, new long[] { 8 }, generator: gen);
        var loss = nn.functional.cross_entropy(model.call(x), y);
        loss.backward();
        return (loss.item<float>(), nn.utils.clip_grad_norm_(model.parameters(), double.PositiveInfinity));
    }

    static (double, double) GeneratorStep(VideoDiT model, TorchSharp.torch.Generator gen)
    {
        using var scope = NewDisposeScope();
        var m = model.Config;
        model.train();
        model.zero_grad();
        var x = randn([16, .. m.LatentShape], generator: gen);
        var t = rand(new long[] { 16 }, generator: gen);
        var bags = rand(new long[] { 16, m.PromptBuckets }, generator: gen);
        var loss = model.forward(x, t, bags).pow(HeldScalars.Two).mean();
        loss.backward();
        return (loss.item<float>(), nn.utils.clip_grad_norm_(model.parameters(), double.PositiveInfinity));
    }

    static (double, double) AutoencoderStep(VideoAutoencoder model, Augment.Generator.NativeModelConfig m, TorchSharp.torch.Generator gen)
    {
        using var scope = NewDisposeScope();
        model.train();
        model.zero_grad();
        var x = rand(new long[] { 8, 3, m.Frames, m.Height, m.Width }, generator: gen).Times(2).Minus(1);
        var loss = nn.functional.mse_loss(model.forward(x), x);
        loss.backward();
        return (loss.item<float>(), nn.utils.clip_grad_norm_(model.parameters(), double.PositiveInfinity));
    }

    /// <summary>Decodes a tiny clip of each codec (made with ffmpeg, embedded in the binary); mp4v is also written first.</summary>
    static IEnumerable<(string Codec, bool Ok, string Detail)> Codecs()
    {
        var dir = Directory.CreateTempSubdirectory("augment-doctor-").FullName;
        try
        {
            var mp4v = Path.Combine(dir, "mp4v.mp4");
            var results = new List<(string, bool, string)>();
            try
            {
                VideoIO.WriteMp4(mp4v, Clip.FromTensor(HeldScalars.Full([4, 16, 16, 3], 128, ScalarType.Byte)), 8);
                results.Add(Decode("mp4v", mp4v));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                results.Add(("mp4v", false, $"cannot write: {e.Message}"));
            }
            var assembly = typeof(DoctorCommand).Assembly;
            foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("codec-samples.", StringComparison.Ordinal)).Order())
            {
                var name = resource["codec-samples.".Length..];
                var path = Path.Combine(dir, name);
                using (var stream = assembly.GetManifestResourceStream(resource)!)
                using (var file = File.Create(path))
                    stream.CopyTo(file);
                results.Add(Decode(Path.GetFileNameWithoutExtension(name), path));
            }
            return results;
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    static (string, bool, string) Decode(string codec, string path)
    {
        try
        {
            var info = VideoIO.Probe(path);
            return (codec, true, $"decodes ({info.FrameCount} frames {info.Width}×{info.Height})");
        }
        catch (VideoReadException e)
        {
            return (codec, false, $"does not decode: {e.Problem}");
        }
    }

    static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }

    static string? LibtorchPackage()
    {
        var deps = Directory.GetFiles(AppContext.BaseDirectory, "*.deps.json").FirstOrDefault();
        if (deps is null) return null;
        var match = System.Text.RegularExpressions.Regex.Match(File.ReadAllText(deps), "\"(libtorch-[a-z0-9.-]+)/([^\"]+)\"");
        return match.Success ? $"{match.Groups[1].Value} {match.Groups[2].Value}" : null;
    }

#if AUGMENT_CUDA
    static string BuildDevice() => "cuda";
#else
    static string BuildDevice() => "cpu";
#endif

    static string GlibcxxNeed()
    {
        var lib = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        if (!File.Exists(lib)) return "libLibTorchSharp.so not beside the binary";
        return ElfVersionNeed.Flags(lib, "GLIBCXX_3.4.32") switch
        {
            null => "not needed by this copy",
            var f when (f & ElfVersionNeed.VerFlgWeak) != 0 => "marked weak in the build output (loads on libstdc++ older than GCC 13)",
            _ => "required (strong): loads only where libstdc++ has GLIBCXX_3.4.32",
        };
    }

    static string FreeDisk(string output)
    {
        var dir = Path.GetFullPath(output);
        while (!Directory.Exists(dir)) dir = Path.GetDirectoryName(dir) ?? "/";
        var free = new DriveInfo(dir).AvailableFreeSpace;
        return $"{free / (1024.0 * 1024 * 1024):0.0} GiB free at {dir}" + (free < 2L << 30 ? " (the demo sweep needs about 1 GiB)" : "");
    }
}
