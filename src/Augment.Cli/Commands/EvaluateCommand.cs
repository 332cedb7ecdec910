using System.CommandLine;
using Augment.Classifier;
using Augment.Data;
using Augment.Data.Video;
using Spectre.Console;

namespace Augment.Cli.Commands;

public static class EvaluateCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "best.ckpt or last.ckpt from augment train", Required = true };
        var dataset = new Option<string>("--dataset") { Description = "dataset spec YAML", Required = true };
        var split = new Option<string>("--split") { Description = "train, val or test", DefaultValueFactory = _ => "test" };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var cache = new Option<string>("--cache") { Description = "decoded-clip cache folder", DefaultValueFactory = _ => ClassifierCli.DefaultCacheDir };
        var output = new Option<string>("--out") { Description = "folder for metrics.json, predictions.csv, confusion.png", Required = true };

        var cmd = new Command("evaluate", "Score a dataset split with a trained classifier checkpoint: metrics table, metrics.json, predictions.csv, confusion.png.");
        foreach (var o in new Option[] { checkpoint, dataset, split, device, cache, output }) cmd.Options.Add(o);
        cmd.SetAction(parse => CliVerb.Run(_ =>
        {
            var ckpt = parse.GetValue(checkpoint)!;
            // Clips are decoded at the size the model was trained on.
            var spec = Checkpoint.ReadState(ckpt).Spec;
            var data = DatasetCli.Load(parse.GetValue(dataset)!, null, spec);
            var splitName = parse.GetValue(split)!;
            var outDir = parse.GetValue(output)!;
            var metrics = AnsiConsole.Status().Start($"scoring {splitName}", _ =>
                ClassifierEvaluator.Evaluate(ckpt, data, splitName, spec, new ClipCache(parse.GetValue(cache)!), outDir, parse.GetValue(device)!));
            ClassifierCli.WriteMetrics(metrics, $"{data.Name} {splitName}");
            AnsiConsole.MarkupLine($"results in [blue]{Markup.Escape(Path.GetFullPath(outDir))}[/]");
            return 0;
        }));
        return cmd;
    }
}
