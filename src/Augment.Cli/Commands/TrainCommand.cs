using System.CommandLine;
using Augment.Classifier;
using Augment.Data;
using Augment.Data.Video;
using Spectre.Console;
using Augment.Synthetic;

namespace Augment.Cli.Commands;

public static class TrainCommand
{
    public static Command Create()
    {
        var d = new ClassifierOptions();
        var clip = new ClipSpec();
        var dataset = new Option<string>("--dataset") { Description = "dataset spec YAML", Required = true };
        var synthetic = new Option<string?>("--synthetic") { Description = "generator manifest.jsonl whose accepted clips join the training split" };
        var ratio = new Option<double>("--ratio") { Description = "synthetic clips per real training clip of each targeted class (with --synthetic)", DefaultValueFactory = _ => 1.0 };
        var targets = new Option<string?>("--target-classes") { Description = "comma-separated classes to augment (default: all)" };
        var model = new Option<string>("--model") { Description = $"{string.Join(", ", Augment.Classifier.Models.ClassifierModels.Names)}", DefaultValueFactory = _ => d.Model };
        var weights = new Option<string?>("--weights") { Description = "torchvision/MMAction2 checkpoint to start from (r3d_18, mc3_18, r2plus1d_18, s3d); its head is replaced for the dataset's classes" };
        var frozen = new Option<int>("--frozen-stages") { Description = "MMAction2's frozen_stages: -1 none, 0 the stem, k the stem and the first k stages", DefaultValueFactory = _ => d.FrozenStages };
        var normEval = new Option<bool>("--norm-eval") { Description = "keep BatchNorm in eval mode while training (small batches)" };
        var backboneLr = new Option<double>("--backbone-lr-mult") { Description = "backbone learning rate as a multiple of the head's", DefaultValueFactory = _ => d.BackboneLrMultiplier };
        var testClips = new Option<int>("--test-clips") { Description = "test-time temporal clips per test clip (probabilities averaged)", DefaultValueFactory = _ => d.TestClips };
        var testCrops = new Option<int>("--test-crops") { Description = "test-time spatial crops: 1 (centre) or 3 (ThreeCrop)", DefaultValueFactory = _ => d.TestCrops };
        var width = new Option<int>("--width") { Description = "channels of the first stage", DefaultValueFactory = _ => d.Width };
        var depth = new Option<int>("--depth") { Description = "residual stages", DefaultValueFactory = _ => d.Depth };
        var epochs = new Option<int>("--epochs") { Description = "maximum epochs (early stopping may end sooner)", DefaultValueFactory = _ => d.Epochs };
        var batch = new Option<int>("--batch") { Description = "clips per step", DefaultValueFactory = _ => d.BatchSize };
        var lr = new Option<double>("--lr") { Description = "peak AdamW learning rate", DefaultValueFactory = _ => d.LearningRate };
        var balance = new Option<string>("--balance") { Description = "sampler (class-balanced sampling), weights (class-weighted loss) or none", DefaultValueFactory = _ => d.Balance };
        var patience = new Option<int>("--patience") { Description = "epochs without a better validation macro-F1 before stopping", DefaultValueFactory = _ => d.Patience };
        var noAugment = new Option<bool>("--no-augment") { Description = "turn off crop/flip/temporal/colour augmentation" };
        var seed = new Option<long>("--seed") { Description = "seed for initialisation, sampling and augmentation", DefaultValueFactory = _ => 0 };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var threads = new Option<int>("--threads") { Description = "libtorch CPU threads (0: one per core); results repeat only at the same count", DefaultValueFactory = _ => d.Threads };
        var frames = new Option<int>("--frames") { Description = "frames per clip", DefaultValueFactory = _ => clip.Frames };
        var size = new Option<int>("--size") { Description = "clip height and width in pixels", DefaultValueFactory = _ => clip.Height };
        var cache = new Option<string>("--cache") { Description = "decoded-clip cache folder", DefaultValueFactory = _ => ClassifierCli.DefaultCacheDir };
        var output = new Option<string>("--out") { Description = "run folder for checkpoints, metrics and plots", Required = true };
        var resume = new Option<bool>("--resume") { Description = "continue from <out>/last.ckpt" };
        var keep = KeepOption.Create();

        var cmd = new Command("train", "Train a video classifier on the real training split plus optional synthetic clips; early-stops on validation macro-F1 and reports test metrics.");
        foreach (var o in new Option[] { dataset, synthetic, ratio, targets, model, width, depth, epochs, batch, lr, balance, patience, noAugment, seed, device, threads, frames, size, cache, output, resume, keep,
                                           weights, frozen, normEval, backboneLr, testClips, testCrops })
            cmd.Options.Add(o);
        cmd.SetAction(parse => CliVerb.Run(cancel =>
        {
            var spec = new ClipSpec(parse.GetValue(frames), parse.GetValue(size), parse.GetValue(size));
            var options = d with
            {
                Model = parse.GetValue(model)!, Width = parse.GetValue(width), Depth = parse.GetValue(depth),
                Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr),
                Balance = parse.GetValue(balance)!, Patience = parse.GetValue(patience), Augment = !parse.GetValue(noAugment),
                Seed = parse.GetValue(seed), Device = parse.GetValue(device)!, Threads = parse.GetValue(threads), Resume = parse.GetValue(resume),
                Weights = parse.GetValue(weights) is { } w ? Path.GetFullPath(w) : null, FrozenStages = parse.GetValue(frozen), NormEval = parse.GetValue(normEval),
                BackboneLrMultiplier = parse.GetValue(backboneLr), TestClips = parse.GetValue(testClips), TestCrops = parse.GetValue(testCrops),
            };
            if (options.TestClips < 1 || options.TestCrops is not (1 or 3)) throw new ArgumentException("--test-clips must be at least 1 and --test-crops 1 or 3");
            var targetList = parse.GetValue(targets)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var mix = parse.GetValue(synthetic) is { } manifest ? new MixOptions(manifest, parse.GetValue(ratio), targetList) : new MixOptions();
            var data = DatasetCli.Load(parse.GetValue(dataset)!, parse.GetValue(keep), spec);
            var outDir = parse.GetValue(output)!;

            TrainResult result = null!;
            AnsiConsole.Progress().AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask($"training {options.Model}", maxValue: options.Epochs);
                    result = ClassifierTrainer.Train(new TrainRequest(data, spec, new ClipCache(parse.GetValue(cache)!), options, mix, outDir),
                        new SyncProgress<EpochReport>(r =>
                        {
                            task.Value = r.Epoch;
                            task.Description = $"epoch {r.Epoch}/{options.Epochs}  loss {r.TrainLoss:0.000}  val F1 {r.ValMacroF1:0.000}{(r.Best ? " *" : "")}";
                        }), cancel);
                    task.Value = task.MaxValue;
                });

            var realCount = result.Mix.Real.Values.Sum();
            var synthCount = result.Mix.Synthetic.Values.Sum();
            var best = result.History.Last(h => h.Best);
            AnsiConsole.MarkupLine($"trained on {realCount} real + {synthCount} synthetic clips; best epoch {best.Epoch} (val macro-F1 {best.ValMacroF1:0.000}) of {result.History.Count}");
            ClassifierCli.WriteMetrics(result.Test, $"test metrics ({data.Name})");
            AnsiConsole.MarkupLine($"results in [blue]{Markup.Escape(Path.GetFullPath(outDir))}[/]");
            return 0;
        }, resumeHint: "the last finished epoch is in last.ckpt; run again with --resume to continue"));
        return cmd;
    }
}
