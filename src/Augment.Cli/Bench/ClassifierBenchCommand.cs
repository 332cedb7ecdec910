using Augment.Data.Numerics;
using System.CommandLine;
using Augment.Classifier;
using Augment.Data;
using Spectre.Console;

namespace Augment.Cli.Bench;

public static class ClassifierBenchCommand
{
    public static Command Create()
    {
        var defaults = new ClassifierOptions();
        var model = new Option<string>("--model") { Description = string.Join(", ", Augment.Classifier.Models.ClassifierModels.Names), DefaultValueFactory = _ => defaults.Model };
        var width = new Option<int>("--width") { Description = "channels of the first stage", DefaultValueFactory = _ => defaults.Width };
        var depth = new Option<int>("--depth") { Description = "residual stages", DefaultValueFactory = _ => defaults.Depth };
        var batch = new Option<int>("--batch") { Description = "clips per step", DefaultValueFactory = _ => defaults.BatchSize };
        var frames = new Option<int>("--frames") { Description = "frames per clip", DefaultValueFactory = _ => new ClipSpec().Frames };
        var size = new Option<int>("--size") { Description = "clip height and width in pixels", DefaultValueFactory = _ => new ClipSpec().Height };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var seconds = new Option<double>("--seconds") { Description = "measuring time per phase", DefaultValueFactory = _ => 3.0 };
        var threads = new Option<int>("--threads") { Description = "libtorch CPU threads (0: libtorch's default, one per core)", DefaultValueFactory = _ => defaults.Threads };
        var json = new Option<string?>("--json") { Description = "also write the results as JSON to this file" };

        var cmd = new Command("classifier", "Training and inference clips/s of the classifier, FLOPs per clip, MFU against the same-run GEMM ceiling, and clip-cache throughput.");
        foreach (var o in new Option[] { model, width, depth, batch, frames, size, device, seconds, threads, json }) cmd.Options.Add(o);
        cmd.SetAction(parse =>
        {
            var numerics = ComputePath.Ensure();
            var options = defaults with { Model = parse.GetValue(model)!, Width = parse.GetValue(width), Depth = parse.GetValue(depth), Threads = parse.GetValue(threads), BatchSize = parse.GetValue(batch), Device = parse.GetValue(device)! };
            var spec = new ClipSpec(parse.GetValue(frames), parse.GetValue(size), parse.GetValue(size));
            var work = Path.Combine(Path.GetTempPath(), $"augment-bench-classifier-{Environment.ProcessId}");
            ClassifierBenchResult result;
            try
            {
                result = AnsiConsole.Status().Start("measuring", ctx =>
                    ClassifierBenchmark.Run(options, spec, work, parse.GetValue(seconds), new Progress<string>(s => ctx.Status($"measuring {s}"))));
            }
            finally
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
            }

            var table = new Table().Title($"classifier benchmark: {result.Model}, {spec.Frames}×{spec.Height}×{spec.Width}, batch {result.BatchSize}, {result.Device}, {result.Threads} threads, oneDNN {(numerics.OneDnnEnabled ? $"on ({numerics.Isa})" : "off")}");
            table.AddColumn("measure");
            table.AddColumn(new TableColumn("value").RightAligned());
            void Row(string name, string value) => table.AddRow(name, value);
            Row("forward FLOPs per clip", $"{result.ForwardFlopsPerClip / 1e6:0.0} M");
            Row("libtorch GEMM ceiling (same run)", $"{result.GemmGflops:0.0} GFLOP/s");
            Row("training", $"{result.TrainClipsPerSecond:0.0} clips/s  ({result.TrainGflops:0.0} GFLOP/s)");
            Row("training MFU (3× forward FLOPs)", $"{result.TrainMfu:P1}");
            Row("inference", $"{result.InferenceClipsPerSecond:0.0} clips/s  ({result.InferenceGflops:0.0} GFLOP/s)");
            Row("inference MFU", $"{result.InferenceMfu:P1}");
            Row("video decode into cache (cold)", $"{result.DecodeClipsPerSecond:0.0} clips/s");
            Row("clip loading from cache (warm)", $"{result.CacheLoadClipsPerSecond:0.0} clips/s");
            Row("loading ÷ training consumption", $"{result.LoadToTrainRatio:0.0}×");
            AnsiConsole.Write(table);
            if (parse.GetValue(json) is { } path)
            {
                AtomicFile.WriteJson(path, result);
                AnsiConsole.MarkupLine($"wrote [blue]{Markup.Escape(path)}[/]");
            }
            return 0;
        });
        return cmd;
    }
}
