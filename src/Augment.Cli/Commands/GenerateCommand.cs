using System.CommandLine;
using Augment.Data;
using Augment.Generator;
using Augment.Generator.Backends;
using Spectre.Console;
using Augment.Synthetic;
using Augment.Synthetic.Gate;

namespace Augment.Cli.Commands;

/// <summary>augment generate: synthetic clips per class from a native, imported or ONNX generator, gated and listed in a manifest.</summary>
public static class GenerateCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--generator") { Description = "Generator name recorded in the manifest (e.g. medgen, hunyuanvideo).", Required = true };
        var baseCkpt = new Option<string?>("--base") { Description = "Native backend: base checkpoint." };
        var adapter = new Option<string?>("--adapter") { Description = "Native backend: LoRA adapter on the base (omit for the base model alone)." };
        var import = new Option<string?>("--import") { Description = "Import backend: CSV path,label[,prompt,seed] of clips made elsewhere (paths relative to the CSV)." };
        var onnx = new Option<string?>("--onnx") { Description = "ONNX backend: exported denoiser velocity = f(x_t, t, cond)." };
        var dataset = new Option<string>("--dataset") { Description = "Dataset spec YAML (classes, prompts, training clips for the memorisation check).", Required = true };
        var perClass = new Option<int?>("--per-class") { Description = "Clips per class." };
        var ratio = new Option<double?>("--ratio") { Description = "Clips per class as a multiple of the class's real training clips (rounded up)." };
        var classes = new Option<string[]>("--classes") { Description = "Only these classes (default: all).", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "Output folder (clips/, manifest.jsonl, contact sheets); a rerun resumes.", Required = true };
        var steps = new Option<int?>("--steps") { Description = "Sampler steps (default: the profile's)." };
        var cfg = new Option<double?>("--cfg") { Description = "Classifier-free guidance scale." };
        var shift = new Option<double?>("--shift") { Description = "Sampling timestep shift (the paper uses 7)." };
        var solver = new Option<string?>("--solver") { Description = "euler or heun." };
        var calibrate = new Option<bool>("--calibrate-gate")
        {
            Description = "Gate with thresholds calibrated on the dataset's real training clips (percentile bands with upper bounds) instead of the fixed defaults.",
        };
        var evaluate = new Option<bool>("--evaluate")
        {
            Description = "Then measure the accepted clips with a reference classifier (recognisability, Fréchet distance in its features, " +
                "diversity, near-copies) and write quality.json; the reference is --reference or trained here on the full training split.",
        };
        var reference = new Option<string?>("--reference") { Description = "With --evaluate: reference classifier checkpoint (best.ckpt of `augment train` on the full training split)." };
        var keep = KeepOption.Create();
        var common = new GeneratorCli.CommonOptions();
        var cmd = new Command("generate", "Generate gated synthetic clips per class: mp4 clips, manifest.jsonl and a contact-sheet PNG per class.")
        {
            name, baseCkpt, adapter, import, onnx, dataset, perClass, ratio, classes, output, steps, cfg, shift, solver, calibrate, evaluate, reference, keep,
        };
        common.AddTo(cmd);
        cmd.SetAction(parse => CliVerb.Run(cancel =>
        {
            var config = common.Config(parse);
            var sampler = config.Sampler;
            if (parse.GetValue(steps) is int s) sampler = sampler with { Steps = s };
            if (parse.GetValue(cfg) is double c) sampler = sampler with { Cfg = c };
            if (parse.GetValue(shift) is double sh) sampler = sampler with { Shift = sh };
            if (parse.GetValue(solver) is string so) sampler = sampler with { Solver = so };
            config = config with { Sampler = sampler };
            var gateOptions = new GateOptions { Calibrate = parse.GetValue(calibrate) };

            var backends = new[] { parse.GetValue(baseCkpt), parse.GetValue(import), parse.GetValue(onnx) }.Count(v => v is not null);
            if (backends != 1 || (parse.GetValue(adapter) is not null && parse.GetValue(baseCkpt) is null))
            {
                Console.Error.WriteLine("choose exactly one backend: --base [--adapter], --import CSV or --onnx FILE");
                return 2;
            }
            if ((parse.GetValue(perClass) is null) == (parse.GetValue(ratio) is null))
            {
                Console.Error.WriteLine("give exactly one of --per-class N or --ratio r");
                return 2;
            }
            var data = DatasetCli.Load(parse.GetValue(dataset)!, parse.GetValue(keep));
            var wanted = parse.GetValue(classes) is { Length: > 0 } only ? only : data.Classes.ToArray();
            foreach (var label in wanted) data.ClassIndex(label);
            var counts = wanted.ToDictionary(label => label, label => parse.GetValue(perClass) ??
                (int)Math.Ceiling(parse.GetValue(ratio)!.Value * data.Split(Augment.Data.Datasets.Splits.Train).Count(r => r.Label == label)));

            IVideoGenerator generator = parse.GetValue(baseCkpt) is string b
                ? new NativeGenerator(parse.GetValue(name)!, b, parse.GetValue(adapter), config)
                : parse.GetValue(import) is string csv
                    ? new ImportGenerator(parse.GetValue(name)!, csv)
                    : new OnnxGenerator(parse.GetValue(name)!, parse.GetValue(onnx)!, config);
            var outDir = parse.GetValue(output)!;
            var request = new GenerationRequest(data, common.Spec(parse), counts, parse.GetValue(common.Seed), outDir);
            GateResult result = null!;
            AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    int total = counts.Values.Sum();
                    var task = ctx.AddTask($"{generator.Name}: {total} clips", maxValue: Math.Max(1, total));
                    var made = generator.Generate(request, new SyncProgress<double>(f => task.Value = f * task.MaxValue), cancel);
                    task.Value = task.MaxValue;
                    // Gated in the same folder; a rerun with other gate settings keeps every clip and judges them again.
                    var gating = ctx.AddTask("quality gate", maxValue: 1);
                    result = GateRun.Execute(made.ClipsPath, data, request.Spec, common.Cache(parse), gateOptions, outDir,
                        new SyncProgress<double>(f => gating.Value = f), cancel);
                    gating.Value = 1;
                });
            (generator as IDisposable)?.Dispose();

            var table = new Table().Title($"{generator.Name} ({generator.CheckpointHash})").AddColumns("class", "accepted", "rejected");
            foreach (var label in wanted)
                table.AddRow(Markup.Escape(label), result.Accepted.GetValueOrDefault(label).ToString(), result.Rejected.GetValueOrDefault(label).ToString());
            AnsiConsole.Write(table);
            foreach (var entry in SyntheticManifest.Read(result.ManifestPath).Where(e => !e.Accepted).Take(10))
                AnsiConsole.MarkupLineInterpolated($"[yellow]rejected[/] {entry.Path}: {entry.RejectReason}");
            AnsiConsole.MarkupLineInterpolated($"Manifest: {Path.GetFullPath(result.ManifestPath)}");
            foreach (var sheet in result.ContactSheets) AnsiConsole.MarkupLineInterpolated($"Contact sheet: {Path.GetFullPath(sheet)}");
            if (parse.GetValue(evaluate))
                GenerationQualityCli.Measure(parse.GetValue(dataset)!, data, common.Spec(parse), common.Cache(parse), parse.GetValue(reference),
                    parse.GetValue(common.Profile)!, parse.GetValue(common.Seed), outDir, result.ManifestPath, wanted, cancel);
            else if (parse.GetValue(reference) is not null)
            {
                Console.Error.WriteLine("--reference only has a use with --evaluate");
                return 2;
            }
            return 0;
        }));
        return cmd;
    }
}
