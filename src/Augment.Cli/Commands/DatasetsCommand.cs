using System.CommandLine;
using Augment.Data;
using Augment.Data.Datasets;
using Spectre.Console;

namespace Augment.Cli.Commands;

/// <summary>augment datasets demo | validate | stats.</summary>
public static class DatasetsCommand
{
    public static Command Create()
    {
        var cmd = new Command("datasets", "Render the demo dataset, validate a dataset spec, show dataset statistics.");
        cmd.Subcommands.Add(Demo());
        cmd.Subcommands.Add(Validate());
        cmd.Subcommands.Add(Stats());
        return cmd;
    }

    static Command Demo()
    {
        var outDir = new Option<string>("--out") { Description = "Folder to render into (created).", Required = true };
        var seed = new Option<long>("--seed") { Description = "Seed for every random choice of the renderer.", DefaultValueFactory = _ => 0 };
        var general = new Option<bool>("--general") { Description = "Render the non-medical general video pool (generator pretraining) instead." };
        var frames = new Option<int>("--frames") { Description = "Frames per clip.", DefaultValueFactory = _ => new DemoOptions().Frames };
        var size = new Option<int>("--size") { Description = "Frame height and width in pixels.", DefaultValueFactory = _ => new DemoOptions().Size };
        var cmd = new Command("demo", "Render the embedded synthetic endoscopy-like demo dataset (no downloads), with dataset.yaml.")
        {
            outDir, seed, general, frames, size,
        };
        cmd.SetAction(parse =>
        {
            var dir = parse.GetValue(outDir)!;
            var options = new DemoOptions(Frames: parse.GetValue(frames), Size: parse.GetValue(size));
            DatasetSpec spec = null!;
            try
            {
                DatasetCli.WithProgress(parse.GetValue(general) ? "Rendering general pool" : "Rendering demo clips", progress =>
                    spec = parse.GetValue(general)
                        ? DemoDataset.RenderGeneralPool(dir, parse.GetValue(seed), options, progress)
                        : DemoDataset.Render(dir, parse.GetValue(seed), options, progress));
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"datasets demo: {e.Message}");
                return 2;
            }
            AnsiConsole.MarkupLineInterpolated($"[green]Rendered[/] {spec.Name} into {Path.GetFullPath(dir)}");
            AnsiConsole.MarkupLineInterpolated($"Spec: {Path.Combine(Path.GetFullPath(dir), "dataset.yaml")}");
            return 0;
        });
        return cmd;
    }

    static Command Validate()
    {
        var specArg = new Argument<string>("spec") { Description = "Dataset spec YAML (name, adapter, root, …)." };
        var quarantine = new Option<string>("--quarantine") { Description = "Where to write the quarantine list (CSV; a .json beside it).", DefaultValueFactory = _ => "quarantine.csv" };
        var (frames, pad) = ClipOptions();
        var keep = KeepOption.Create();
        var cmd = new Command("validate", "Load a dataset spec, probe every video, print a per-split, per-class table, list unusable files with reasons " +
                                          "and end with warnings. Exit 0: usable; 1: a sweep on it would be meaningless (e.g. an empty split); 2: the spec is invalid " +
                                          "or the quarantine list cannot be written.")
        {
            specArg, quarantine, frames, pad, keep,
        };
        cmd.SetAction(parse =>
        {
            var data = LoadOrReport(parse.GetValue(specArg)!, parse.GetValue(keep), new ClipSpec(parse.GetValue(frames), Pad: parse.GetValue(pad)));
            if (data is null) return 2;
            ShowCounts(data);
            var rows = DatasetTables.QuarantineRows(data);
            var path = Path.GetFullPath(parse.GetValue(quarantine)!);
            string? writeError = null;
            try { DatasetTables.WriteQuarantine(data, path); }
            catch (IOException e) { writeError = e.Message; }
            if (rows.Count > 0)
            {
                var table = new Table().Title($"Set aside ({rows.Count})").AddColumns("kind", "path", "reason");
                foreach (var r in rows.Take(25)) table.AddRow(Markup.Escape(r.Kind), Markup.Escape(r.Path), Markup.Escape(r.Reason));
                AnsiConsole.Write(table);
                if (rows.Count > 25) AnsiConsole.MarkupLineInterpolated($"… and {rows.Count - 25} more");
                AnsiConsole.MarkupLineInterpolated($"by kind: {string.Join(", ", rows.GroupBy(r => r.Kind).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}");
            }
            foreach (var (finding, n) in data.Unmapped.OrderByDescending(kv => kv.Value))
                AnsiConsole.MarkupLineInterpolated($"[yellow]unmapped[/] '{finding}': {n}");
            AnsiConsole.MarkupLineInterpolated($"{data.Clips.Count} clips usable, {rows.Count} set aside, {data.Junk.Count} hidden/tool files and folders skipped (e.g. .ipynb_checkpoints, __MACOSX); quarantine list: {(writeError is null ? path : "not written")}");
            if (data.Warnings.Count > 0)
            {
                AnsiConsole.MarkupLine("[bold]Warnings[/]");
                foreach (var w in data.Warnings)
                    AnsiConsole.MarkupLineInterpolated($"  [{(w.Fatal ? "red" : "yellow")}]{(w.Fatal ? "✗" : "!")} {w.Text}[/]");
            }
            if (writeError is not null)
            {
                Console.Error.WriteLine($"datasets validate: {writeError}");
                return 2;
            }
            return data.Warnings.Any(w => w.Fatal) ? 1 : 0;
        });
        return cmd;
    }

    static Command Stats()
    {
        var specArg = new Argument<string>("spec") { Description = "Dataset spec YAML." };
        var json = new Option<bool>("--json") { Description = "Print the statistics as JSON (for machines)." };
        var (frames, pad) = ClipOptions();
        var keep = KeepOption.Create();
        var cmd = new Command("stats", "Counts per split and class (the same clip windows as validate), frame counts, sizes and frame rates of a dataset.")
        {
            specArg, json, frames, pad, keep,
        };
        cmd.SetAction(parse =>
        {
            bool asJson = parse.GetValue(json);
            var data = LoadOrReport(parse.GetValue(specArg)!, parse.GetValue(keep), new ClipSpec(parse.GetValue(frames), Pad: parse.GetValue(pad)), quiet: asJson);
            if (data is null) return 2;
            var stats = DatasetTables.Stats(data);
            if (asJson)
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(stats, AtomicFile.Json));
                return 0;
            }
            ShowCounts(data);
            var t = new Table().Title(Markup.Escape(data.Name)).AddColumns("quantity", "min", "median", "max");
            if (stats.Frames is { } f) t.AddRow("frames per video", $"{f.Min:0}", $"{f.Median:0}", $"{f.Max:0}");
            if (stats.Fps is { } r) t.AddRow("fps", $"{r.Min:0.##}", $"{r.Median:0.##}", $"{r.Max:0.##}");
            AnsiConsole.Write(t);
            AnsiConsole.MarkupLineInterpolated($"sizes: {string.Join(", ", stats.Sizes.Select(kv => $"{kv.Key} ×{kv.Value}"))}");
            AnsiConsole.MarkupLineInterpolated($"{stats.Clips} clips from {stats.Videos} videos; {stats.Quarantined} quarantined, {stats.Missing} missing");
            return 0;
        });
        return cmd;
    }

    static (Option<int> Frames, Option<PadPolicy> Pad) ClipOptions()
    {
        var frames = new Option<int>("--frames") { Description = "Frames per clip, at least 1 (videos shorter than this are flagged when --pad reject).", DefaultValueFactory = _ => 16 };
        frames.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError($"--frames {r.GetValueOrDefault<int>()}: a clip needs at least 1 frame");
        });
        return (frames, new Option<PadPolicy>("--pad") { Description = "How short videos are padded: RepeatLast, Loop or Reject.", DefaultValueFactory = _ => PadPolicy.RepeatLast });
    }

    // Null (after printing why) when the spec itself cannot be used.
    static Dataset? LoadOrReport(string specPath, string[]? keep, ClipSpec? clip, bool quiet = false)
    {
        try
        {
            var spec = KeepOption.Apply(DatasetSpecYaml.Load(specPath), keep);
            return quiet ? DatasetLoader.Load(spec, clip) : DatasetCli.Probe(spec, clip);
        }
        catch (Exception e) when (e is DatasetSpecException or IOException or InvalidDataException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"invalid dataset spec: {e.Message}");
            return null;
        }
    }

    static void ShowCounts(Dataset data)
    {
        var table = new Table().Title($"{Markup.Escape(data.Name)}: clips (videos) per split and class").AddColumn("class");
        string[] splits = [Splits.Train, Splits.Val, Splits.Test];
        foreach (var s in splits) table.AddColumn(s, c => c.RightAligned());
        var counts = DatasetTables.Counts(data);
        foreach (var cls in data.Classes)
            table.AddRow([Markup.Escape(cls), .. splits.Select(s => counts.First(c => c.Split == s && c.Class == cls)).Select(c => $"{c.Clips} ({c.Videos})")]);
        table.AddRow(["[bold]total[/]", .. splits.Select(s => counts.Where(c => c.Split == s).Sum(c => c.Clips).ToString())]);
        AnsiConsole.Write(table);
        foreach (var (cls, n) in data.KeptOut.Where(kv => kv.Value > 0))
            AnsiConsole.MarkupLineInterpolated($"scarcity: {n} training clips of '{cls}' left out (keep)");
        var groups = data.Clips.Where(c => c.Group is not null).ToList();
        if (groups.Count > 0)
            AnsiConsole.MarkupLineInterpolated($"groups (patients or sources, each kept in one split): {string.Join(", ", splits.Select(sp => $"{sp} {groups.Where(c => c.Split == sp).Select(c => c.Group).Distinct().Count()}"))}; {data.Clips.Count - groups.Count} clips have no group");
    }
}
