using System.Diagnostics;
using Augment.Classifier;
using Augment.Evaluation.Quality;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Experiments.Cluster;
using Augment.Experiments.Config;
using Augment.Synthetic;

namespace Augment.Experiments.Sweep;

/// <summary>
/// Generation quality, measured for every finished generation of the sweep (any backend) and stored as quality.json in
/// its folder. The yardstick is each dataset's reference classifier: trained once on the full real training split
/// (before `keep`), with the sweep's classifier settings and first seed, under &lt;output_dir&gt;/reference/&lt;dataset&gt;/
/// as a fingerprinted stage. It only measures; nothing in the sweep is chosen with it. A quality.json is reused while
/// the reference, the generation and the measuring code are the ones it names. Both are claimed like every other stage,
/// so workers sharing the output folder neither train a reference twice nor log a generation's quality twice.
/// </summary>
public sealed class SweepQuality(ExperimentConfig config, IReadOnlyDictionary<string, SweepDataset> datasets, ClipCache cache,
    SweepStages stages, StageClaims claims, StageRunner runner) : IDisposable
{
    readonly Dictionary<string, QualityMeter> meters = [];

    /// <summary>Generations measured (not reused) by this instance.</summary>
    public int Measured { get; private set; }

    /// <summary>The generation's quality.json, measuring it first unless a current one is stored; null when the generation
    /// is unfinished or another worker is measuring it.</summary>
    public (QualityReport Report, bool Fresh)? Ensure(GenerationPlan plan, Action<string, double> report, CancellationToken cancel)
    {
        if (GatingRecord.TryRead(plan.GatingDir) is not { } gating || Fingerprint.TryRead(plan.GatingDir) is not { } gatingPrint) return null;
        var reference = EnsureReference(plan.Dataset, report, cancel);
        var inputs = $"reference {stages.ReferencePrint(plan.Dataset).Hash}; gating {gatingPrint.Hash}@{gating.FinishedAt:O}; code {CodeVersion.QualitySources}";
        if (QualityReport.TryRead(plan.GatingDir) is { } stored && stored.Inputs == inputs) return (stored, false);
        using var claim = claims.TryTake($"quality {plan.Stage}");
        if (claim is null) return null;
        if (QualityReport.TryRead(plan.GatingDir) is { } justMeasured && justMeasured.Inputs == inputs) return (justMeasured, false);

        cancel.ThrowIfCancellationRequested();
        report($"measuring generation quality {plan.Dataset}/{plan.Generator}/s{plan.Seed}", 0);
        var clock = Stopwatch.StartNew();
        var ds = datasets[plan.Dataset];
        if (!meters.TryGetValue(plan.Dataset, out var meter))
            meters[plan.Dataset] = meter = new QualityMeter(reference, ds.ReferenceData, ds.Data, config.Clip, cache, config.Seeds[0]);
        var measured = meter.Measure(Path.Combine(plan.GatingDir, gating.Manifest), ds.TargetClasses);
        measured = measured with
        {
            Inputs = inputs, ReferenceCheckpoint = Path.GetRelativePath(config.OutputDir, reference), Seconds = clock.Elapsed.TotalSeconds,
        };
        AtomicFile.WriteJson(Path.Combine(plan.GatingDir, QualityReport.FileName), measured);
        Measured++;
        return (measured, true);
    }

    string EnsureReference(string dataset, Action<string, double> report, CancellationToken cancel)
    {
        var dir = stages.ReferenceDir(dataset);
        var checkpoint = Path.Combine(dir, ReferenceRecord.Checkpoint);
        return runner.Run(() => stages.Reference(dataset), dir, () => stages.ReferencePrint(dataset), () => checkpoint, () =>
        {
            var data = datasets[dataset].ReferenceData;
            var options = stages.ReferenceOptions with { Resume = true };
            var clock = Stopwatch.StartNew();
            var trained = ClassifierTrainer.Train(new TrainRequest(data, config.Clip, cache, options, new MixOptions(), dir),
                new SyncProgress<EpochReport>(e => report($"reference classifier {dataset}: epoch {e.Epoch}/{options.Epochs}, val macro-F1 {e.ValMacroF1:0.000}",
                    (double)e.Epoch / options.Epochs)), cancel);
            AtomicFile.WriteJson(Path.Combine(dir, ReferenceRecord.FileName), new ReferenceRecord(data.Split(Splits.Train).Count(),
                trained.History.Max(e => e.ValMacroF1), clock.Elapsed.TotalSeconds, FileHash.Sha256(checkpoint)));
            return checkpoint;
        }, report, cancel);
    }

    public void Dispose()
    {
        foreach (var m in meters.Values) m.Dispose();
        meters.Clear();
    }
}
