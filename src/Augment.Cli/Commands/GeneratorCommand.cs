using Augment.Experiments.Config;
using System.CommandLine;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Generator;
using Augment.Generator.Training;
using Spectre.Console;

namespace Augment.Cli.Commands;

/// <summary>augment generator pretrain | adapt: the two training stages of the native video generator.</summary>
public static class GeneratorCommand
{
    public static Command Create()
    {
        var cmd = new Command("generator", "Train the native latent video diffusion generator: pretrain the base model (autoencoder + latent transformer), then adapt it to a dataset with LoRA.");
        cmd.Subcommands.Add(Pretrain());
        cmd.Subcommands.Add(Adapt());
        return cmd;
    }

    static Command Pretrain()
    {
        var datasets = new Option<string[]>("--dataset") { Description = "Dataset spec YAML; repeat to pool several (training splits only).", Required = true, AllowMultipleArgumentsPerToken = false };
        var output = new Option<string>("--out") { Description = "Base checkpoint to write (resumed if it holds a shorter run); the autoencoder trains into <out without .ckpt>.autoencoder.ckpt beside it.", Required = true };
        var steps = new Option<int?>("--steps") { Description = "Latent transformer training steps (default: the profile's)." };
        var autoencoderSteps = new Option<int?>("--autoencoder-steps") { Description = "Video autoencoder training steps (default: the profile's)." };
        var common = new GeneratorCli.CommonOptions();
        var cmd = new Command("pretrain", "Pretrain the base model (the 'hunyuanvideo' stand-in) on a pool of datasets: its video autoencoder, then the latent diffusion transformer (flow matching).") { datasets, output, steps, autoencoderSteps };
        common.AddTo(cmd);
        cmd.SetAction(parse => CliVerb.Run(cancel =>
        {
            var config = common.Config(parse);
            if (parse.GetValue(steps) is int s) config = config with { Pretrain = config.Pretrain with { Steps = s } };
            if (parse.GetValue(autoencoderSteps) is int a) config = config with { Autoencoder = config.Autoencoder with { Steps = a } };
            var pool = parse.GetValue(datasets)!.Select(p => DatasetCli.Load(p, null)).ToList();
            var spec = common.Spec(parse);
            var result = GeneratorCli.Train("pretrain", config.Pretrain.Steps, cancel, (progress, token) =>
                GeneratorTraining.Pretrain(pool, spec, common.Cache(parse), config, parse.GetValue(output)!, progress, token));
            GeneratorCli.Report(result);
            return 0;
        }));
        return cmd;
    }

    static Command Adapt()
    {
        var dataset = new Option<string>("--dataset") { Description = "Target dataset spec YAML (its training split only).", Required = true };
        var baseCkpt = new Option<string>("--base") { Description = "Base checkpoint from `augment generator pretrain`.", Required = true };
        var output = new Option<string>("--out") { Description = "LoRA adapter file to write (resumed if it holds a shorter run on the same base).", Required = true };
        var rank = new Option<int?>("--rank") { Description = "LoRA rank (default: the profile's)." };
        var alpha = new Option<double?>("--alpha") { Description = "LoRA alpha; the update is scaled by alpha/rank." };
        var targets = new Option<string?>("--targets") { Description = "Comma-separated layers to adapt: q,k,v,out (attention), mlp, mod (adaLN modulation), text (prompt encoder)." };
        var steps = new Option<int?>("--steps") { Description = "Adaptation steps (default: the profile's)." };
        var lr = new Option<double?>("--lr") { Description = "Adapter learning rate (default: the profile's)." };
        var keep = KeepOption.Create();
        var common = new GeneratorCli.CommonOptions();
        var cmd = new Command("adapt", "Adapt the base model to one dataset with LoRA on its latent transformer (base frozen) — MedGen = base + this adapter.")
        {
            dataset, baseCkpt, output, rank, alpha, targets, steps, lr, keep,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CliVerb.Run(cancel =>
        {
            var config = common.Config(parse);
            var lora = config.Lora;
            if (parse.GetValue(rank) is int r) lora = lora with { Rank = r };
            if (parse.GetValue(alpha) is double a) lora = lora with { Alpha = a };
            if (parse.GetValue(targets) is string t) lora = lora with { Targets = t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) };
            var adapt = config.Adapt;
            if (parse.GetValue(steps) is int s) adapt = adapt with { Steps = s };
            if (parse.GetValue(lr) is double l) adapt = adapt with { LearningRate = l };
            config = config with { Lora = lora, Adapt = adapt };
            var target = DatasetCli.Load(parse.GetValue(dataset)!, parse.GetValue(keep));
            var spec = common.Spec(parse);
            var result = GeneratorCli.Train("adapt", adapt.Steps, cancel, (progress, token) =>
                GeneratorTraining.Adapt(target, spec, common.Cache(parse), config, parse.GetValue(baseCkpt)!, parse.GetValue(output)!, progress, token));
            GeneratorCli.Report(result);
            return 0;
        }));
        return cmd;
    }
}

/// <summary>Options and progress display the generator verbs share.</summary>
internal static class GeneratorCli
{
    internal sealed class CommonOptions
    {
        public readonly Option<string> Profile = new("--profile") { Description = "Generator size and schedule: tiny (CPU demo), small, full, or a profile file (profiles/README.md).", DefaultValueFactory = _ => "tiny" };
        public readonly Option<long> Seed = new("--seed") { Description = "Seed for every random choice.", DefaultValueFactory = _ => 0 };
        public readonly Option<string> Device = new("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        public readonly Option<int?> Frames = new("--frames") { Description = "Frames per dataset clip (default: the profile's clip size, as in the sweep: tiny 8, small 16, full 16)." };
        public readonly Option<int?> Size = new("--size") { Description = "Height and width of dataset clips in pixels (default: tiny 32, small 64, full 112)." };
        public readonly Option<string> CacheDir = new("--cache") { Description = "Decoded-clip cache folder.", DefaultValueFactory = _ => Path.Combine(".augment", "clip-cache") };

        public void AddTo(Command cmd)
        {
            foreach (var o in new Option[] { Profile, Seed, Device, Frames, Size, CacheDir }) cmd.Options.Add(o);
        }

        public GeneratorConfig Config(ParseResult parse) =>
            Profiles.Load(parse.GetValue(Profile)!).Engine.AtClipSize(Spec(parse)) with { Seed = parse.GetValue(Seed), Device = parse.GetValue(Device)! };

        /// <summary>The profile's clip size, as the sweep uses it, unless --frames or --size say otherwise.</summary>
        public ClipSpec Spec(ParseResult parse)
        {
            var clip = Profiles.Load(parse.GetValue(Profile)!).Clip;
            return clip with { Frames = parse.GetValue(Frames) ?? clip.Frames, Height = parse.GetValue(Size) ?? clip.Height, Width = parse.GetValue(Size) ?? clip.Width };
        }

        public ClipCache Cache(ParseResult parse) => new(parse.GetValue(CacheDir)!);
    }

    public static TrainedCheckpoint Train(string stage, int steps, CancellationToken cancel, Func<IProgress<TrainProgress>, CancellationToken, TrainedCheckpoint> work)
    {
        TrainedCheckpoint result = null!;
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"{stage}: loading clips", maxValue: steps);
                result = work(new SyncProgress<TrainProgress>(p =>
                {
                    task.Description = $"{stage} ({p.Stage}): loss {p.Loss:F4}, {p.SecondsPerStep:F2} s/step";
                    task.MaxValue = p.TotalSteps;
                    task.Value = p.Step;
                }), cancel);
                task.Value = steps;
            });
        return result;
    }

    public static void Report(TrainedCheckpoint result)
    {
        foreach (var q in result.Quarantined) AnsiConsole.MarkupLineInterpolated($"[yellow]quarantined[/] {q.Path}: {q.Reason}");
        AnsiConsole.MarkupLineInterpolated($"[green]Wrote[/] {Path.GetFullPath(result.Path)} ({result.Steps} steps on {result.Clips} clips, final loss {result.FinalLoss:F4}, sha256 {FileHash.Short(result.Path)})");
    }
}
