using Augment.Classifier;
using Augment.Evaluation.Quality;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Experiments.Config;
using Spectre.Console;
using Augment.Synthetic;

namespace Augment.Cli.Commands;

/// <summary>
/// `augment generate --evaluate`: the generation-quality measures a sweep stores, for the command's own output. The
/// reference classifier is `--reference CKPT` when given (trained by `augment train` on the full training split at the
/// same clip size), else one trained here on the dataset's full training split (before `keep`) with the profile's
/// classifier settings, into &lt;out&gt;/reference/ (a rerun with the same settings resumes or reuses it).
/// </summary>
static class GenerationQualityCli
{
    public static QualityReport Measure(string specPath, Dataset seen, ClipSpec spec, ClipCache cache, string? reference, string profile,
        long seed, string outDir, string manifest, IReadOnlyList<string> classes, CancellationToken cancel)
    {
        var full = DatasetCli.Probe(DatasetSpecYaml.Load(specPath) with { Keep = new Dictionary<string, int>() }, null);
        var checkpoint = reference ?? TrainReference(full, spec, cache, profile, seed, Path.Combine(outDir, "reference"), cancel);
        QualityReport report = null!;
        AnsiConsole.Status().Start("measuring generation quality", _ =>
        {
            using var meter = new QualityMeter(checkpoint, full, seen, spec, cache, seed);
            report = meter.Measure(manifest, classes) with { ReferenceCheckpoint = Path.GetFullPath(checkpoint) };
        });
        AtomicFile.WriteJson(Path.Combine(outDir, QualityReport.FileName), report);
        Print(report);
        return report;
    }

    static string TrainReference(Dataset full, ClipSpec spec, ClipCache cache, string profile, long seed, string dir, CancellationToken cancel)
    {
        var options = Profiles.Load(profile).Classifier with { Seed = seed, Resume = true };
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask($"reference classifier on {full.Split(Splits.Train).Count()} real training clips", maxValue: options.Epochs);
                ClassifierTrainer.Train(new TrainRequest(full, spec, cache, options, new MixOptions(), dir),
                    new SyncProgress<EpochReport>(e => task.Value = e.Epoch), cancel);
                task.Value = task.MaxValue;
            });
        return Path.Combine(dir, ResultFiles.BestCheckpoint);
    }

    static void Print(QualityReport q)
    {
        var table = new Table().Title($"Generation quality (reference classifier, val accuracy {q.ReferenceValAccuracy:0.000})")
            .AddColumns("class", "clips", "recognisability", "real val accuracy", "Fréchet (ref. features)", "real floor", "diversity", "near-copies");
        static string F(double? v) => v is { } x ? x.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "–";
        foreach (var c in q.Classes)
            table.AddRow(Markup.Escape(c.Class), c.GeneratedClips.ToString(), F(c.Recognisability), F(c.RealValAccuracy), F(c.Frechet),
                F(c.FrechetFloor), F(c.Diversity), $"{c.NearCopies} of {c.GeneratedClips}");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLineInterpolated($"Near-copy threshold {F(q.NearCopyThreshold)} ({GenerationQuality.NearCopyFactor} × the median real-to-real nearest-neighbour distance); written to {QualityReport.FileName}.");
    }
}
