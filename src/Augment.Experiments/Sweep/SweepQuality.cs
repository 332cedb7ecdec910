using System.Diagnostics;
using Augment.Classifier;
using Augment.Classifier.Quality;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Experiments.Cluster;
using Augment.Experiments.Config;

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
    SweepStages stages, StageClaims claims) : IDisposable
{
    readonly Dictionary<string, QualityMeter> meters = [];

    /// <summary>Generations measured (not reused) by this instance.</summary>
    public int Measured { get; private set; }

    /// <summary>The generation's quality.json, measuring it first unless a current one is stored; null when the generation
    /// is unfinished or another worker is measuring it.</summary>
    public (QualityReport Report, bool Fresh)? Ensure(GenerationPlan plan, Action<string, double> report, CancellationToken cancel)
    {
        if (GenerationRecord.TryRead(plan.Dir) is not { } generation || Fingerprint.TryRead(plan.Dir) is not { } genPrint) return null;
        var reference = EnsureReference(plan.Dataset, report, cancel);
        var inputs = $"reference {stages.ReferencePrint(plan.Dataset).Hash}; generation {genPrint.Hash}@{generation.FinishedAt:O}; code {CodeVersion.ClassifierSources}";
        if (QualityReport.TryRead(plan.Dir) is { } stored && stored.Inputs == inputs) return (stored, false);
        using var claim = claims.TryTake($"quality {plan.Stage}");
        if (claim is null) return null;
        if (QualityReport.TryRead(plan.Dir) is { } justMeasured && justMeasured.Inputs == inputs) return (justMeasured, false);

        cancel.ThrowIfCancellationRequested();
        report($"measuring generation quality {plan.Dataset}/{plan.Generator}/s{plan.Seed}", 0);
        var clock = Stopwatch.StartNew();
        var ds = datasets[plan.Dataset];
        if (!meters.TryGetValue(plan.Dataset, out var meter))
            meters[plan.Dataset] = meter = new QualityMeter(reference, ds.ReferenceData, ds.Data, config.Clip, cache, config.Seeds[0]);
        var measured = meter.Measure(Path.Combine(plan.Dir, generation.Manifest), ds.TargetClasses);
        measured = measured with
        {
            Inputs = inputs, ReferenceCheckpoint = Path.GetRelativePath(config.OutputDir, reference), Seconds = clock.Elapsed.TotalSeconds,
        };
        AtomicFile.WriteJson(Path.Combine(plan.Dir, QualityReport.FileName), measured);
        Measured++;
        return (measured, true);
    }

    // A reference that failed to train fails the dataset's other measurements too, without training it again each time.
    readonly Dictionary<string, string> failedReferences = [];

    string EnsureReference(string dataset, Action<string, double> report, CancellationToken cancel)
    {
        if (failedReferences.TryGetValue(dataset, out var error)) throw new InvalidOperationException($"reference classifier {dataset} failed: {error}");
        try { return TrainReference(dataset, report, cancel); }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failedReferences[dataset] = e.Message;
            throw;
        }
    }

    string TrainReference(string dataset, Action<string, double> report, CancellationToken cancel)
    {
        var dir = stages.ReferenceDir(dataset);
        var checkpoint = Path.Combine(dir, ReferenceRecord.Checkpoint);
        var stage = stages.Reference(dataset).Stage;
        using var claim = claims.Take(stage, () => stages.Reference(dataset).Action == StageAction.Reuse,
            holder => report($"waiting for {holder.Worker} to finish {stage}", 0), cancel);
        if (!stages.Begin(stages.Reference(dataset), dir, stages.ReferencePrint(dataset))) return checkpoint;
        var data = datasets[dataset].ReferenceData;
        var options = stages.ReferenceOptions with { Resume = true };
        var clock = Stopwatch.StartNew();
        var trained = ClassifierTrainer.Train(new TrainRequest(data, config.Clip, cache, options, new MixOptions(), dir),
            new SyncProgress<EpochReport>(e => report($"reference classifier {dataset}: epoch {e.Epoch}/{options.Epochs}, val macro-F1 {e.ValMacroF1:0.000}",
                (double)e.Epoch / options.Epochs)), cancel);
        AtomicFile.WriteJson(Path.Combine(dir, ReferenceRecord.FileName), new ReferenceRecord(data.Split(Splits.Train).Count(),
            trained.History.Max(e => e.ValMacroF1), clock.Elapsed.TotalSeconds, ClipCache.ContentHash(checkpoint)));
        return checkpoint;
    }

    public void Dispose()
    {
        foreach (var m in meters.Values) m.Dispose();
        meters.Clear();
    }
}
