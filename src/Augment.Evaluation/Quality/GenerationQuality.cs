using Augment.Data;

namespace Augment.Evaluation.Quality;

/// <summary>Reference-classifier features of a set of clips: a vector per clip, its label, and the class the reference assigns.</summary>
public sealed record FeatureSet(IReadOnlyList<double[]> Features, int[] Labels, int[] Predicted)
{
    public int Count => Labels.Length;

    public IReadOnlyList<double[]> Of(int label) => Enumerable.Range(0, Count).Where(i => Labels[i] == label).Select(i => Features[i]).ToList();

    /// <summary>Share of the clips of a class the reference assigns to that class; null when there are none.</summary>
    public double? Accuracy(int label)
    {
        var rows = Enumerable.Range(0, Count).Where(i => Labels[i] == label).ToList();
        return rows.Count == 0 ? null : rows.Count(i => Predicted[i] == label) / (double)rows.Count;
    }

    public FeatureSet Select(IEnumerable<int> rows)
    {
        var r = rows.ToArray();
        return new FeatureSet(r.Select(i => Features[i]).ToList(), r.Select(i => Labels[i]).ToArray(), r.Select(i => Predicted[i]).ToArray());
    }
}

/// <summary>
/// The real side every generation of a dataset is compared with: the reference classifier's training split (the full
/// split, before `keep` trims it), the validation split, and the training clips the generator itself saw.
/// </summary>
public sealed record RealFeatures(FeatureSet Train, FeatureSet Val, FeatureSet Seen);

/// <summary>One targeted class of one generation, measured with the reference classifier (null: too few clips to measure).</summary>
public sealed record ClassQuality
{
    public required string Class { get; init; }
    /// <summary>Accepted generated clips measured.</summary>
    public int GeneratedClips { get; init; }
    /// <summary>Share of the accepted clips the reference classifier assigns to the intended class.</summary>
    public double? Recognisability { get; init; }
    /// <summary>The same classifier's accuracy on the real validation clips of the class (what recognisability is read against).</summary>
    public double? RealValAccuracy { get; init; }
    public int RealValClips { get; init; }
    /// <summary>Fréchet distance between generated and real validation clips of the class, in reference-classifier features.</summary>
    public double? Frechet { get; init; }
    /// <summary>The same distance from as many real training clips of the class (seeded draw) to the validation clips: what real data scores.</summary>
    public double? FrechetFloor { get; init; }
    /// <summary>Mean pairwise feature distance within the generated clips, divided by the same within the real validation clips (1 = as varied as real).</summary>
    public double? Diversity { get; init; }
    /// <summary>Share of generated clips whose nearest real training clip is nearer than the near-copy threshold.</summary>
    public double? NearCopyShare { get; init; }
    public int NearCopies { get; init; }
}

/// <summary>quality.json: a generation's quality, per targeted class.</summary>
public sealed record QualityReport
{
    public const string FileName = "quality.json";

    public required IReadOnlyList<ClassQuality> Classes { get; init; }
    /// <summary>Feature distance under which a generated clip counts as a near-copy of a real training clip.</summary>
    public double? NearCopyThreshold { get; init; }
    /// <summary>Feature dimensions of the reference classifier.</summary>
    public int FeatureDims { get; init; }
    /// <summary>What the measurement depended on (reference fingerprint, generation), so a stale file is noticed.</summary>
    public string? Inputs { get; init; }
    public string? ReferenceCheckpoint { get; init; }
    /// <summary>The reference classifier's accuracy over all real validation clips.</summary>
    public double? ReferenceValAccuracy { get; init; }
    public double Seconds { get; init; }

    public static QualityReport? TryRead(string dir)
    {
        var path = Path.Combine(dir, FileName);
        return AtomicFile.TryReadJson<QualityReport>(path);
    }
}

/// <summary>
/// Generation quality from reference-classifier features (evaluation only: nothing is chosen with it).
/// Recognisability is a classification accuracy score; the Fréchet distance is read against a floor of real training
/// clips scored the same way at the same sample size (small sets inflate the distance); diversity is relative to real
/// clips; a near-copy is a generated clip nearer to a real training clip than <see cref="NearCopyFactor"/> × the median
/// distance from a real training clip to its nearest other training clip — closer than real clips ever come to each
/// other in the typical case.
/// </summary>
public static class GenerationQuality
{
    public const double NearCopyFactor = 0.5;

    public static QualityReport Measure(RealFeatures real, FeatureSet generated, IReadOnlyList<string> classes, IEnumerable<string> targets, long seed)
    {
        double? threshold = real.Seen.Count < 2 ? null : NearCopyFactor * Stats.Median(FeatureSpace.LeaveOneOutNearest(real.Seen.Features));
        var rows = new List<ClassQuality>();
        foreach (var label in targets)
        {
            int c = classes.ToList().IndexOf(label);
            if (c < 0) throw new ArgumentException($"'{label}' is not one of the classes ({string.Join(", ", classes)})");
            var gen = generated.Of(c);
            var val = real.Val.Of(c);
            var train = real.Train.Of(c);
            double? frechet = gen.Count >= 2 && val.Count >= 2 ? FrechetDistance.Between(gen, val) : null;
            double? floor = null;
            if (frechet is not null && train.Count >= 2)
            {
                // As many real clips as were generated, so both distances carry the same small-sample bias.
                var draw = train.ToList();
                Stats.Shuffle(draw, Seeds.Random(seed, $"quality-floor/{label}"));
                floor = FrechetDistance.Between(draw.Take(Math.Min(gen.Count, draw.Count)).ToList(), val);
            }
            double? realSpread = FeatureSpace.MeanPairwiseDistance(val), genSpread = FeatureSpace.MeanPairwiseDistance(gen);
            var nearest = threshold is null || gen.Count == 0 ? [] : FeatureSpace.NearestDistances(gen, real.Seen.Features);
            int copies = threshold is { } t ? nearest.Count(d => d < t) : 0;
            rows.Add(new ClassQuality
            {
                Class = label, GeneratedClips = gen.Count,
                Recognisability = generated.Accuracy(c), RealValAccuracy = real.Val.Accuracy(c), RealValClips = val.Count,
                Frechet = frechet, FrechetFloor = floor,
                Diversity = genSpread is { } g && realSpread is > 0 ? g / realSpread : null,
                NearCopyShare = nearest.Length == 0 ? null : copies / (double)nearest.Length, NearCopies = copies,
            });
        }
        return new QualityReport
        {
            Classes = rows, NearCopyThreshold = threshold, FeatureDims = real.Train.Features.FirstOrDefault()?.Length ?? 0,
            ReferenceValAccuracy = real.Val.Count == 0 ? null : Enumerable.Range(0, real.Val.Count).Count(i => real.Val.Predicted[i] == real.Val.Labels[i]) / (double)real.Val.Count,
        };
    }

}
