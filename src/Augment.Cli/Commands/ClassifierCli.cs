using Augment.Classifier;
using Augment.Data;
using Augment.Data.Datasets;
using Spectre.Console;

namespace Augment.Cli.Commands;

/// <summary>What train and evaluate share: the clip-cache default and the metrics table.</summary>
static class ClassifierCli
{
    public static string DefaultCacheDir =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg
            ? xdg : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "augment", "clips");

    public static void WriteMetrics(EvaluationMetrics m, string title)
    {
        var table = new Table().Title(Markup.Escape(title));
        table.AddColumn("class");
        foreach (var c in new[] { "precision", "recall", "F1", "support" }) table.AddColumn(new TableColumn(c).RightAligned());
        foreach (var c in m.PerClass)
            table.AddRow(Markup.Escape(c.Label), $"{c.Precision:0.000}", $"{c.Recall:0.000}", $"{c.F1:0.000}", c.Support.ToString());
        table.AddEmptyRow();
        int n = m.PerClass.Sum(c => c.Support);
        table.AddRow("[bold]macro[/]", $"{m.MacroPrecision:0.000}", $"{m.MacroRecall:0.000}", $"[bold]{m.MacroF1:0.000}[/]", n.ToString());
        table.AddRow("weighted", $"{m.WeightedPrecision:0.000}", $"{m.WeightedRecall:0.000}", $"{m.WeightedF1:0.000}", n.ToString());
        table.AddRow("accuracy", "", "", $"{m.Accuracy:0.000}", n.ToString());
        table.AddRow("balanced accuracy", "", "", $"{m.BalancedAccuracy:0.000}", n.ToString());
        AnsiConsole.Write(table);
    }
}

