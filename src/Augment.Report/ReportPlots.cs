using Augment.Data;

namespace Augment.Report;

/// <summary>The report's own charts (ScottPlot); the confusion matrices and contact sheets are the cells' images.</summary>
public static class ReportPlots
{
    /// <summary>
    /// Recognisability per targeted class: one bar per generator (mean over its generations) beside the reference
    /// classifier's accuracy on the real validation clips of the class, the level a perfectly realistic generator reaches.
    /// </summary>
    public static void Recognisability(string dataset, IReadOnlyList<QualitySummary> quality, string path)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var classes = quality.SelectMany(q => q.Quality.Classes.Select(c => c.Class)).Distinct().ToList();
        var series = new List<(string Label, Func<string, double?> Value)>
        {
            ("real validation clips", cls => Mean(quality.SelectMany(q => q.Quality.Classes).Where(c => c.Class == cls).Select(c => c.RealValAccuracy))),
        };
        foreach (var gen in quality.GroupBy(q => q.Label))
            series.Add((gen.Key, cls => Mean(gen.SelectMany(q => q.Quality.Classes).Where(c => c.Class == cls).Select(c => c.Recognisability))));
        double width = 0.8 / series.Count;
        for (int i = 0; i < series.Count; i++)
        {
            var color = palette.GetColor(i);
            var bars = classes.Select((cls, k) => new ScottPlot.Bar
            {
                Position = k + (i - (series.Count - 1) / 2.0) * width, Value = series[i].Value(cls) ?? 0, Size = width * 0.95, FillColor = color,
            }).ToList();
            plot.Add.Bars(bars);
            plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = series[i].Label, FillColor = color });
        }
        plot.Axes.Bottom.SetTicks(classes.Select((_, k) => (double)k).ToArray(), classes.ToArray());
        plot.Title($"{dataset}: clips the reference classifier assigns to the intended class");
        plot.YLabel("share of clips");
        plot.Axes.SetLimitsY(0, 1.05);
        plot.ShowLegend(ScottPlot.Edge.Right); // beside the bars, never over them
        AtomicFile.Write(path, tmp => plot.SavePng(tmp, 860, 440));
    }

    static double? Mean(IEnumerable<double?> values)
    {
        var v = values.Where(x => x is not null).Select(x => x!.Value).ToList();
        return v.Count == 0 ? null : v.Average();
    }

    /// <summary>Macro-F1 against augmentation ratio, one line per generator, error bars = std over seeds.</summary>
    public static void F1VersusRatio(DatasetReport dataset, string path)
    {
        var plot = new ScottPlot.Plot();
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        var baseline = dataset.Grid.Where(p => p.Generator == "real").ToList();
        // Every generator's line starts at the shared real-only point (ratio 0).
        foreach (var line in dataset.Grid.Where(p => p.Generator != "real").GroupBy(p => p.Generator))
        {
            var points = baseline.Concat(line).OrderBy(p => p.Ratio).ToArray();
            var label = line.First().Label;
            var xs = points.Select(p => p.Ratio).ToArray();
            var ys = points.Select(p => p.F1.Mean).ToArray();
            var color = palette.GetColor(i++);
            var scatter = plot.Add.Scatter(xs, ys);
            scatter.Color = color;
            scatter.LegendText = label;
            var bars = plot.Add.ErrorBar(xs, ys, points.Select(p => p.F1.Std).ToArray());
            bars.Color = color;
        }
        if (i == 0 && baseline.Count > 0) // real-only sweep: show the baseline alone
        {
            var only = plot.Add.Scatter(baseline.Select(p => p.Ratio).ToArray(), baseline.Select(p => p.F1.Mean).ToArray());
            only.LegendText = baseline[0].Label;
            plot.Add.ErrorBar(baseline.Select(p => p.Ratio).ToArray(), baseline.Select(p => p.F1.Mean).ToArray(), baseline.Select(p => p.F1.Std).ToArray());
        }
        plot.Title($"{dataset.Name}: macro-F1 vs augmentation ratio (mean ± std over seeds)");
        plot.XLabel("synthetic clips per real clip of each targeted class (ratio)");
        plot.YLabel("test macro-F1");
        plot.Axes.SetLimitsY(0, 1.05); // F1 lives in [0, 1]; a fixed axis makes datasets comparable
        plot.ShowLegend();
        AtomicFile.Write(path, tmp => plot.SavePng(tmp, 720, 440));
    }
}
