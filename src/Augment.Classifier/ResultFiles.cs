using System.Globalization;
using System.Text;
using Augment.Data;

namespace Augment.Classifier;

/// <summary>The files a run leaves for people and for the sweep: JSON/CSV for machines, PNG for eyes. All written atomically.</summary>
public static class ResultFiles
{
    public const string MetricsJson = "metrics.json", PredictionsCsv = "predictions.csv", MixJson = "mix.json",
        HistoryJson = "history.json", ConfusionPng = "confusion.png", CurvesPng = "curves.png",
        BestCheckpoint = "best.ckpt", LastCheckpoint = "last.ckpt", QuarantineJson = "quarantine.json",
        PretrainedJson = "pretrained.json";

    public static void WriteConfusionPng(string path, EvaluationMetrics metrics, string title)
    {
        int k = metrics.Classes.Count;
        var plot = new ScottPlot.Plot();
        // Row-normalised colours (recall per class) so scarce classes are as visible as common ones; cells print counts.
        var values = new double[k, k];
        for (int a = 0; a < k; a++)
        {
            double support = Math.Max(1, metrics.Confusion[a].Sum());
            for (int p = 0; p < k; p++) values[a, p] = metrics.Confusion[a][p] / support;
        }
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        for (int a = 0; a < k; a++)
            for (int p = 0; p < k; p++)
            {
                var text = plot.Add.Text(metrics.Confusion[a][p].ToString(CultureInfo.InvariantCulture), p, k - 1 - a);
                text.LabelFontColor = values[a, p] > 0.5 ? ScottPlot.Colors.Black : ScottPlot.Colors.White;
                text.LabelFontSize = 16;
                text.LabelAlignment = ScottPlot.Alignment.MiddleCenter;
            }
        var positions = Enumerable.Range(0, k).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(positions, metrics.Classes.ToArray());
        plot.Axes.Left.SetTicks(positions, metrics.Classes.Reverse().ToArray());
        plot.Axes.Bottom.TickLabelStyle.Rotation = -30;
        plot.Axes.Bottom.TickLabelStyle.Alignment = ScottPlot.Alignment.MiddleRight;
        plot.Axes.Bottom.MinimumSize = 30 + 4 * metrics.Classes.Max(c => c.Length);
        plot.XLabel("predicted");
        plot.YLabel("actual");
        plot.Add.ColorBar(heatmap).Label = "row share";
        plot.Title($"{title}, {metrics.Videos} videos  acc {metrics.Accuracy:0.000}  macro-F1 {metrics.MacroF1:0.000}");
        int size = 360 + 70 * k;
        AtomicFile.Write(path, tmp => plot.SavePng(tmp, size + 120, size));
    }

    public static void WriteCurvesPng(string path, IReadOnlyList<EpochReport> history)
    {
        var plot = new ScottPlot.Plot();
        var epochs = history.Select(h => (double)h.Epoch).ToArray();
        void Line(string name, Func<EpochReport, double> value) =>
            plot.Add.Scatter(epochs, history.Select(value).ToArray()).LegendText = name;
        Line("train loss", h => h.TrainLoss);
        Line("val loss", h => h.ValLoss);
        Line("train accuracy", h => h.TrainAccuracy);
        Line("val macro-F1", h => h.ValMacroF1);
        if (history.FirstOrDefault(h => h.Best) is { } _)
        {
            var best = history.Last(h => h.Best);
            var marker = plot.Add.VerticalLine(best.Epoch);
            marker.LegendText = $"best epoch {best.Epoch}";
            marker.LinePattern = ScottPlot.LinePattern.Dashed;
        }
        plot.XLabel("epoch");
        plot.Title("classifier training");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        AtomicFile.Write(path, tmp => plot.SavePng(tmp, 800, 480));
    }
}
