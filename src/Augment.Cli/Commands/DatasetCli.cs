using Augment.Data;
using Augment.Data.Datasets;
using Spectre.Console;

namespace Augment.Cli.Commands;

/// <summary>How every verb that takes a dataset spec loads it: --keep applied, a progress bar over the probing.</summary>
static class DatasetCli
{
    /// <summary>Loads SPEC.yaml for a training or generation verb, warning when files were set aside.</summary>
    public static Dataset Load(string specPath, string[]? keep, ClipSpec? clip = null)
    {
        var data = Probe(KeepOption.Apply(DatasetSpecYaml.Load(specPath), keep), clip);
        if (data.Quarantined.Count > 0)
            AnsiConsole.MarkupLine($"[yellow]{data.Quarantined.Count} file(s) quarantined[/] (run `augment datasets validate` for the list)");
        return data;
    }

    public static Dataset Probe(DatasetSpec spec, ClipSpec? clip)
    {
        Dataset data = null!;
        WithProgress($"loading {spec.Name}", p => data = DatasetLoader.Load(spec, clip, p));
        return data;
    }

    public static void WithProgress(string what, Action<IProgress<(int done, int total)>> work)
    {
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(what));
                var gate = new object(); // probing reports from worker threads
                work(new SyncProgress<(int done, int total)>(p => { lock (gate) { task.MaxValue = Math.Max(1, p.total); task.Value = p.done; } }));
                task.Value = task.MaxValue;
            });
    }
}
