using Augment.Classifier;
using Augment.Classifier.Models;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Numerics;
using Augment.Data.Video;
using static TorchSharp.torch;
using Augment.Synthetic;

namespace Augment.Evaluation.Quality;

/// <summary>
/// Measures generations of one dataset with its reference classifier: the real side (full training split, validation
/// split, the generator's own training clips) is scored once, then every generation's accepted clips are scored against it.
/// </summary>
public sealed class QualityMeter : IDisposable
{
    readonly VideoClassifier model;
    readonly Device device = CPU;
    readonly IReadOnlyList<string> classes;
    readonly ClipSpec spec;
    readonly ClipCache cache;
    readonly long seed;
    readonly TorchThreads threads = new(1);

    public RealFeatures Real { get; }

    /// <param name="reference">The dataset the reference classifier was trained on (training split before `keep`).</param>
    /// <param name="seen">The dataset as the generators saw it (its training split is what memorisation is checked against).</param>
    public QualityMeter(string referenceCheckpoint, Dataset reference, Dataset seen, ClipSpec spec, ClipCache cache, long seed)
    {
        ComputePath.Ensure();
        (model, var state) = Checkpoint.Load(referenceCheckpoint);
        if (!state.Classes.SequenceEqual(reference.Classes))
        {
            model.Dispose();
            throw new InvalidDataException($"{referenceCheckpoint}: a reference for classes [{string.Join(", ", state.Classes)}], not [{string.Join(", ", reference.Classes)}]");
        }
        if ((state.Spec.Frames, state.Spec.Height, state.Spec.Width) != (spec.Frames, spec.Height, spec.Width))
        {
            model.Dispose();
            throw new ArgumentException($"{referenceCheckpoint}: trained on {state.Spec.Frames}x{state.Spec.Height}x{state.Spec.Width} clips, the clips to measure are {spec.Frames}x{spec.Height}x{spec.Width}");
        }
        classes = reference.Classes;
        (this.spec, this.cache, this.seed) = (spec, cache, seed);
        var train = Score(reference.Split(Splits.Train).ToList(), out var trainRefs);
        var val = Score(reference.Split(Splits.Val).ToList(), out _);
        // The generator's training clips are a subset of the full split: pick their rows instead of scoring them again.
        var seenKeys = seen.Split(Splits.Train).Select(Key).ToHashSet();
        Real = new RealFeatures(train, val, train.Select(Enumerable.Range(0, trainRefs.Count).Where(i => seenKeys.Contains(Key(trainRefs[i])))));
    }

    /// <summary>quality.json's content for the accepted clips of the targeted classes in a generation's manifest.</summary>
    public QualityReport Measure(string manifestPath, IReadOnlyList<string> targets)
    {
        var clips = SyntheticManifest.Read(manifestPath).Where(e => e.Accepted && targets.Contains(e.Label))
            .Select(e => new ClipRef(SyntheticManifest.Resolve(manifestPath, e), e.Label, Splits.Train, $"synthetic:{e.Generator}:{e.Path}", Source: e.Generator))
            .ToList();
        var generated = clips.Count == 0 ? new FeatureSet([], [], []) : Score(clips, out _);
        return GenerationQuality.Measure(Real, generated, classes, targets, seed);
    }

    FeatureSet Score(IReadOnlyList<ClipRef> clips, out IReadOnlyList<ClipRef> loaded)
    {
        using var tensors = NewDisposeScope(); // no tensor left to the finalizer thread (see ClassifierTrainer.Train)
        using var set = ClipSet.Load(clips, classes, spec, cache);
        loaded = set.Clips;
        return ClipFeatures.Extract(model, set, device);
    }

    static string Key(ClipRef c) => $"{c.Path}|{c.StartFrame}";

    public void Dispose()
    {
        model.Dispose();
        threads.Dispose();
    }
}
