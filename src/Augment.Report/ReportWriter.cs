using System.Globalization;
using System.Net;
using System.Text;
using Augment.Evaluation.Quality;
using Augment.Data;
using SplitClassCount = Augment.Data.Datasets.SplitClassCount;
using Augment.Experiments.Sweep;
using Augment.Evaluation;

namespace Augment.Report;

/// <summary>
/// Writes &lt;run&gt;/report/: report.md (images linked), report.html (self-contained, images inlined as base64),
/// report.json (the model) and summary.csv (one row per dataset × generator × ratio) for programs.
/// </summary>
public static class ReportWriter
{
    public sealed record Written(string Markdown, string Html, string Json, string SummaryCsv);

    public static Written Write(string runDir)
    {
        runDir = Path.GetFullPath(runDir);
        var model = SweepReport.Build(runDir);
        var reportDir = Path.Combine(runDir, "report");
        Directory.CreateDirectory(reportDir);

        var plots = new Dictionary<string, string>();
        foreach (var ds in model.Datasets.Where(d => d.Grid.Count > 0))
        {
            var png = Path.Combine(reportDir, $"f1_vs_ratio_{ds.Name}.png");
            ReportPlots.F1VersusRatio(ds, png);
            plots[ds.Name] = Path.GetRelativePath(runDir, png);
        }

        var qualityPlots = new Dictionary<string, string>();
        foreach (var group in model.Quality.GroupBy(q => q.Dataset))
        {
            var png = Path.Combine(reportDir, $"quality_{group.Key}.png");
            ReportPlots.Recognisability(group.Key, group.ToList(), png);
            qualityPlots[group.Key] = Path.GetRelativePath(runDir, png);
        }

        var written = new Written(Path.Combine(reportDir, "report.md"), Path.Combine(reportDir, "report.html"),
            Path.Combine(reportDir, "report.json"), Path.Combine(reportDir, "summary.csv"));
        // Markdown links images relative to the report folder; HTML inlines them.
        AtomicFile.WriteAllText(written.Markdown, Render(model, plots, qualityPlots, new MarkdownStyle(rel => Path.GetRelativePath(reportDir, Path.Combine(runDir, rel)))));
        AtomicFile.WriteAllText(written.Html, Render(model, plots, qualityPlots, new HtmlStyle(rel => Path.Combine(runDir, rel))));
        AtomicFile.WriteJson(written.Json, model);
        AtomicFile.WriteAllText(written.SummaryCsv, SummaryCsv(model));
        return written;
    }

    static string SummaryCsv(ReportModel model)
    {
        var sb = new StringBuilder("dataset,generator,label,ratio,seeds,accuracy_mean,accuracy_std,precision_mean,precision_std,recall_mean,recall_std,f1_mean,f1_std\n");
        foreach (var ds in model.Datasets)
            foreach (var p in ds.Grid)
                sb.Append(string.Join(",", ds.Name, p.Generator, Csv.Quote(p.Label), R(p.Ratio), p.F1.N,
                    R(p.Accuracy.Mean), R(p.Accuracy.Std), R(p.Precision.Mean), R(p.Precision.Std),
                    R(p.Recall.Mean), R(p.Recall.Std), R(p.F1.Mean), R(p.F1.Std))).Append('\n');
        return sb.ToString();
    }

    static string Render(ReportModel model, IReadOnlyDictionary<string, string> plots, IReadOnlyDictionary<string, string> qualityPlots, Style s)
    {
        var sw = model.Sweep;
        s.Heading(1, $"Augmentation sweep: {sw.Experiment}");
        s.Paragraph($"Profile {sw.Profile}; seeds {string.Join(", ", sw.Seeds)}; ratios {string.Join(", ", sw.Ratios.Select(N))}; " +
                    $"{model.FinishedCells} finished cell(s), {model.FailedCells.Count} failed. Config: {sw.ConfigPath}. " +
                    (sw.Classifier is null ? "" : $"Classifier: {sw.Classifier}. ") +
                    "Every number below is read from the cells' stored result.json / predictions.csv.");
        s.Paragraph("Ratio r = synthetic clips added per real training clip of each targeted class (nested prefixes of one " +
                    "generation run per generator and seed). Every metric is **per test video**: the class probabilities of a " +
                    "video's windows are averaged and the video is scored once (MMAction2's average_clips='prob'); per-window " +
                    "macro-F1 is kept as a secondary column. ACC = accuracy; Pre / Rec / F1 = macro averages over the test " +
                    "split's classes, mean ± std over seeds; log-loss from ML.NET. ΔF1 = mean paired difference to real only, " +
                    $"with a 95% paired bootstrap CI ({SweepReport.BootstrapResamples} resamples, seed 0) that resamples seeds and " +
                    "test videos jointly, videos within each class, so every resample keeps the test split's classes and counts. " +
                    "The generator is trained once per sweep (with the first seed), so the CI is conditional on that one trained generator. " +
                    "Every cell of a dataset takes the same number of optimiser steps, so an augmented cell differs from real only in its data, not in training length.");
        s.Paragraph($"Code {Short(sw.CodeCommit)} (sources {sw.CodeSources}); experiments file SHA-256 {Short(sw.ConfigSha256 ?? "–")}; numerics: {sw.Numerics ?? "not recorded"}. " +
                    "Same seed gives the same numbers on the same CPU, not across CPUs.");
        s.Heading(2, "Warnings");
        if (model.Warnings.Count == 0) s.Paragraph("None: every planned cell finished, every generation met its quota, and no data was set aside.");
        else s.Warnings(model.Warnings);

        foreach (var ds in model.Datasets)
        {
            s.Heading(2, $"Dataset {ds.Name}");
            if (ds.Rows.Count == 0) { s.Paragraph("No finished cells yet."); continue; }
            s.Paragraph($"Reported ratio: {ds.RatioRule}.");
            var generators = sw.Generators.ToDictionary(g => g.Name, g => g.Description);
            if (ds.UpperBound is { } upper) s.Paragraph(upper);
            s.Table(["Method", "Generator", "Ratio", "Seeds", "Test videos", "ACC", "Pre", "Rec", "F1", "ΔF1 [95% CI]", "Gain captured [95% CI]", "Log-loss", "F1 per window"],
                ds.Rows.Select(r => new[]
                {
                    r.Generator == "real" ? r.Label : $"+{r.Label}", generators.GetValueOrDefault(r.Generator, "–"), N(r.Ratio), r.F1.N.ToString(CultureInfo.InvariantCulture),
                    r.TestWindows > r.TestVideos ? $"{r.TestVideos} ({r.TestWindows} windows)" : r.TestVideos.ToString(CultureInfo.InvariantCulture),
                    Pm(r.Accuracy), Pm(r.Precision), Pm(r.Recall), Pm(r.F1), Delta(r.DeltaF1), Gain(r.GainCaptured), Pm(r.LogLoss), Pm(r.WindowF1),
                }));
            QualitySection(s, model.Quality.Where(q => q.Dataset == ds.Name).ToList(), qualityPlots.GetValueOrDefault(ds.Name));

            if (sw.Datasets.FirstOrDefault(d => d.Name == ds.Name) is { Counts.Count: > 0 } counts)
            {
                s.Heading(3, "Data");
                var classes = counts.Counts.Select(c => c.Class).Distinct().ToList();
                s.Table(["Split", .. classes, "All"], new[] { "train", "val", "test" }.Select(split =>
                {
                    var row = counts.Counts.Where(c => c.Split == split).ToDictionary(c => c.Class);
                    string Cell(SplitClassCount? c) => c is null ? "0" : c.Clips == c.Videos ? $"{c.Videos}" : $"{c.Videos} ({c.Clips} windows)";
                    return new[] { split }.Concat(classes.Select(cls => Cell(row.GetValueOrDefault(cls))))
                        .Append(row.Values.Sum(c => c.Videos).ToString(CultureInfo.InvariantCulture)).ToArray();
                }));
                var notes = new List<string>();
                if (counts.KeptOut.Count > 0) notes.Add("Held out of training by `keep` (simulated scarcity): " + string.Join(", ", counts.KeptOut.Select(kv => $"{kv.Key} {kv.Value}")));
                notes.Add(counts.Unusable.Count == 0 ? "No video was quarantined or missing"
                    : "not used: " + string.Join(", ", counts.Unusable.Select(kv => $"{kv.Value} {kv.Key}")) + $" (datasets/{ds.Name}/quarantine.csv)");
                s.Paragraph($"Videos per split and class (windows where a video gives several). {string.Join(". ", notes)}.");
            }

            s.Heading(3, "Macro-F1 versus augmentation ratio");
            if (plots.TryGetValue(ds.Name, out var plot)) s.Image(plot, $"F1 vs ratio, {ds.Name}");
            s.Table(["Method", "Ratio", "Seeds", "ACC", "Pre", "Rec", "F1"],
                ds.Grid.Select(p => new[] { p.Label, N(p.Ratio), p.F1.N.ToString(CultureInfo.InvariantCulture), Pm(p.Accuracy), Pm(p.Precision), Pm(p.Recall), Pm(p.F1) }));

            if (ds.TargetClasses.Count > 0)
            {
                s.Heading(3, "Per-class F1 of the targeted scarce classes");
                s.Paragraph("F1 of each targeted class, mean ± std over seeds, and its paired Δ to real only with its own 95% bootstrap CI: " +
                            "a gain concentrated in the scarce classes is what augmentation promises. Gain captured per class = the generator's Δ " +
                            "of the class over the upper bound's, shown where the upper bound gains significantly on that class.");
                s.Table(["Method", "Ratio", .. ds.TargetClasses.SelectMany(t => new[] { t, $"Δ {t} [95% CI]", $"gain captured {t}" })],
                    ds.Rows.Select(r => new[] { r.Label, N(r.Ratio) }
                        .Concat(ds.TargetClasses.SelectMany(t => new[] { Pm(r.TargetClassF1[t]), Delta(r.TargetClassDelta.GetValueOrDefault(t)), Gain(r.TargetClassGain.GetValueOrDefault(t)) })).ToArray()));
            }

            s.Heading(3, "Confusion matrices (test split)");
            foreach (var r in ds.Rows.Where(r => r.Confusion is not null))
                s.Figure(r.Confusion!, $"{r.Label}, ratio {N(r.Ratio)}, seed {r.ConfusionSeed}");
        }

        if (model.Gates.Count > 0)
        {
            s.Heading(2, "Generated clips and the quality gate");
            s.Table(["Dataset", "Generator", "Seed", "Accepted", "Rejected", "Accepted per class"],
                model.Gates.Select(g => new[]
                {
                    g.Dataset, g.Label, g.Seed.ToString(CultureInfo.InvariantCulture),
                    g.Accepted.Values.Sum().ToString(CultureInfo.InvariantCulture), g.Rejected.Values.Sum().ToString(CultureInfo.InvariantCulture),
                    string.Join("; ", g.Accepted.Select(kv => $"{kv.Key}: {kv.Value}/{kv.Value + g.Rejected.GetValueOrDefault(kv.Key)}")),
                }));
            foreach (var g in model.Gates.GroupBy(g => (g.Dataset, g.Generator)).Select(grp => grp.First()))
            {
                s.Heading(3, $"Contact sheets: {g.Label} on {g.Dataset} (seed {g.Seed})");
                foreach (var sheet in g.ContactSheets) s.Figure(sheet, Path.GetFileNameWithoutExtension(sheet));
            }
        }

        if (model.FailedCells.Count > 0)
        {
            s.Heading(2, "Failed cells");
            s.Table(["Cell", "Error"], model.FailedCells.Select(c => new[] { c.Key, c.Error ?? "" }));
        }
        return s.Finish();
    }

    /// <summary>Generation quality beside the F1 table: what the reference classifier makes of each generator's clips.</summary>
    static void QualitySection(Style s, List<QualitySummary> quality, string? plot)
    {
        if (quality.Count == 0) return;
        s.Heading(3, "Generation quality (reference classifier)");
        var first = quality[0].Quality;
        s.Paragraph("Measured on the accepted clips of each targeted class with this dataset's reference classifier: trained once on the " +
                    "full real training split (before `keep`), used for nothing but these numbers " +
                    $"(validation accuracy {N(first.ReferenceValAccuracy ?? double.NaN)} over all classes; {first.FeatureDims}-dimensional penultimate features). " +
                    "Recognisability = share of the clips it assigns to the intended class, read against its accuracy on the real validation clips of that class. " +
                    "Fréchet distance (reference-classifier features) = between the generated and the real validation clips of the class; the real floor is the " +
                    "same distance from as many real training clips, so it carries the same small-sample bias (not FVD: no I3D features). " +
                    "Diversity = mean pairwise feature distance of the generated clips over that of the real validation clips (1 = as varied). " +
                    $"Near-copies = generated clips nearer to a real training clip than {GenerationQuality.NearCopyFactor:0.##} × the median distance " +
                    "between a real training clip and its nearest other one. Mean ± std over generations (seeds).");
        if (plot is not null) s.Image(plot, "recognisability per generator and class");
        s.Table(["Generator", "Class", "Generations", "Clips", "Recognisability", "Real val accuracy", "Fréchet distance (reference-classifier features)",
                "Real floor", "Diversity", "Near-copies"],
            quality.SelectMany(q => q.Quality.Classes.Select(c => (q, c))).GroupBy(x => (x.q.Label, x.c.Class)).Select(g =>
            {
                var rows = g.Select(x => x.c).ToList();
                MetricStats Of(Func<ClassQuality, double?> pick) => MetricStats.Of(rows.Select(pick).Where(v => v is not null).Select(v => v!.Value));
                return new[]
                {
                    g.Key.Label, g.Key.Class, rows.Count.ToString(CultureInfo.InvariantCulture), rows.Sum(r => r.GeneratedClips).ToString(CultureInfo.InvariantCulture),
                    Pm(Of(r => r.Recognisability)), Pm(Of(r => r.RealValAccuracy)), Pm(Of(r => r.Frechet)), Pm(Of(r => r.FrechetFloor)),
                    Pm(Of(r => r.Diversity)), $"{rows.Sum(r => r.NearCopies)} of {rows.Sum(r => r.GeneratedClips)}",
                };
            }));
    }

    static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;
    static string N(double v) => double.IsNaN(v) ? "–" : v.ToString("0.###", CultureInfo.InvariantCulture);
    static string Pm(MetricStats m) => m.N == 0 || double.IsNaN(m.Mean) ? "–" : $"{m.Mean:0.000} ± {m.Std:0.000}";
    static string Gain(ConfidenceInterval? ci) => ci is null ? "–" : $"{ci.Estimate:0.00} [{ci.Low:0.00}, {ci.High:0.00}]";
    static string Delta(ConfidenceInterval? ci) => ci is null ? "–" : $"{ci.Estimate:+0.000;-0.000;0.000} [{ci.Low:+0.000;-0.000;0.000}, {ci.High:+0.000;-0.000;0.000}]";

    abstract class Style
    {
        protected readonly StringBuilder Sb = new();
        public abstract void Heading(int level, string text);
        public abstract void Paragraph(string text);
        public abstract void Table(IReadOnlyList<string> header, IEnumerable<string[]> rows);
        public abstract void Image(string runRelativePath, string alt);
        public abstract void Warnings(IEnumerable<string> items);
        public void Figure(string runRelativePath, string caption) { Paragraph(caption); Image(runRelativePath, caption); }
        public abstract string Finish();
    }

    sealed class MarkdownStyle(Func<string, string> link) : Style
    {
        public override void Heading(int level, string text) => Sb.Append('\n').Append('#', level).Append(' ').Append(text).Append("\n\n");
        public override void Paragraph(string text) => Sb.Append(text).Append("\n\n");
        public override void Table(IReadOnlyList<string> header, IEnumerable<string[]> rows)
        {
            Sb.Append("| ").AppendJoin(" | ", header).Append(" |\n|").AppendJoin("|", header.Select(_ => "---")).Append("|\n");
            foreach (var r in rows) Sb.Append("| ").AppendJoin(" | ", r.Select(c => c.Replace("|", "\\|"))).Append(" |\n");
            Sb.Append('\n');
        }
        public override void Warnings(IEnumerable<string> items)
        {
            foreach (var item in items) Sb.Append("- ⚠ ").Append(item).Append('\n');
            Sb.Append('\n');
        }
        public override void Image(string runRelativePath, string alt) =>
            Sb.Append("![").Append(alt).Append("](").Append(link(runRelativePath).Replace('\\', '/')).Append(")\n\n");
        public override string Finish() => Sb.ToString().TrimStart();
    }

    sealed class HtmlStyle(Func<string, string> file) : Style
    {
        public override void Heading(int level, string text) => Sb.Append($"<h{level}>{E(text)}</h{level}>\n");
        public override void Paragraph(string text) => Sb.Append($"<p>{Inline(text)}</p>\n");

        // The few Markdown marks the report's prose uses: **bold** and `code`.
        static string Inline(string text) => System.Text.RegularExpressions.Regex.Replace(
            System.Text.RegularExpressions.Regex.Replace(E(text), @"\*\*(.+?)\*\*", "<b>$1</b>"), "`(.+?)`", "<code>$1</code>");
        public override void Table(IReadOnlyList<string> header, IEnumerable<string[]> rows)
        {
            Sb.Append("<table><thead><tr>").AppendJoin("", header.Select(h => $"<th>{E(h)}</th>")).Append("</tr></thead><tbody>\n");
            foreach (var r in rows) Sb.Append("<tr>").AppendJoin("", r.Select(c => $"<td>{E(c)}</td>")).Append("</tr>\n");
            Sb.Append("</tbody></table>\n");
        }
        public override void Warnings(IEnumerable<string> items) =>
            Sb.Append("<ul class=\"warnings\">").AppendJoin("", items.Select(i => $"<li>{E(i)}</li>")).Append("</ul>\n");
        public override void Image(string runRelativePath, string alt) =>
            Sb.Append($"<img alt=\"{E(alt)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(file(runRelativePath)))}\">\n");
        public override string Finish() =>
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Augment sweep report</title><style>" +
            "body{font-family:system-ui,sans-serif;max-width:1500px;margin:2em auto;padding:0 1em;color:#222}" +
            "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:4px 8px;text-align:right}td{white-space:nowrap}" +
            "th:first-child,td:first-child{text-align:left}th{background:#eee}img{max-width:100%;display:block;margin:.5em 0}" +
            "ul.warnings{background:#fff4d6;border:2px solid #e0a000;padding:.6em 1em .6em 2em}ul.warnings li{margin:.2em 0}" +
            "</style></head><body>\n" + Sb + "</body></html>\n";
        static string E(string s) => WebUtility.HtmlEncode(s);
    }
}
