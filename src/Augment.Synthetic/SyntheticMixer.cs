using Augment.Data;
using Augment.Data.Datasets;

namespace Augment.Synthetic;

/// <summary>
/// Which synthetic clips join the training split. Ratio r: for each targeted class c with n_c real training clips, the
/// first round(r·n_c) accepted manifest clips of c are added. No synthetic clip ever enters validation or test.
/// </summary>
public sealed record MixOptions(string? SyntheticManifest = null, double Ratio = 0, IReadOnlyList<string>? TargetClasses = null);

/// <summary>Counts per class of what a run trained on.</summary>
public sealed record MixSummary(IReadOnlyDictionary<string, int> Real, IReadOnlyDictionary<string, int> Synthetic, double Ratio, IReadOnlyList<string> TargetClasses)
{
    /// <summary>Synthetic clips asked for per class (round(r·n_c)); more than <see cref="Synthetic"/> when the manifest ran short.</summary>
    public IReadOnlyDictionary<string, int> Requested { get; init; } = new Dictionary<string, int>();
    public string? Manifest { get; init; }
}

/// <summary>
/// Builds a run's training set: every real training clip plus, for each targeted class c with n_c real training clips,
/// the first round(r·n_c) accepted manifest clips labelled c, in manifest order. Because the selection is a prefix, a
/// smaller ratio always uses a subset of the clips a larger ratio uses (nested mixes). If the manifest holds fewer
/// accepted clips of c than asked for, all of them are used and the shortfall shows in <see cref="MixSummary.Requested"/>.
/// Validation and test splits are never touched.
/// </summary>
public static class SyntheticMixer
{
    public static (IReadOnlyList<ClipRef> Train, MixSummary Summary) Mix(Dataset dataset, MixOptions mix)
    {
        if (mix.Ratio < 0 || !double.IsFinite(mix.Ratio)) throw new ArgumentException($"augmentation ratio must be a finite number ≥ 0, not {mix.Ratio}");
        var targets = mix.TargetClasses is { Count: > 0 } t ? t.ToArray() : dataset.Classes.ToArray();
        foreach (var c in targets)
            if (!dataset.Classes.Contains(c))
                throw new ArgumentException($"target class '{c}' is not a class of dataset '{dataset.Name}' (classes: {string.Join(", ", dataset.Classes)})");

        var real = dataset.Split(Splits.Train).Where(c => c.Source == "real").ToList();
        var realCounts = dataset.Classes.ToDictionary(c => c, c => real.Count(r => r.Label == c));
        var synthCounts = dataset.Classes.ToDictionary(c => c, _ => 0);
        var requested = dataset.Classes.ToDictionary(c => c, _ => 0);
        var train = new List<ClipRef>(real);

        if (mix.SyntheticManifest is { } manifest && mix.Ratio > 0)
        {
            if (!File.Exists(manifest)) throw new FileNotFoundException($"synthetic manifest {manifest} does not exist", manifest);
            var accepted = SyntheticManifest.Read(manifest).Where(e => e.Accepted).ToList();
            foreach (var entry in accepted)
                if (!dataset.Classes.Contains(entry.Label))
                    throw new InvalidDataException($"{manifest}: clip '{entry.Path}' is labelled '{entry.Label}', which is not a class of dataset '{dataset.Name}' (classes: {string.Join(", ", dataset.Classes)})");

            foreach (var c in targets)
            {
                int want = (int)Math.Round(mix.Ratio * realCounts[c], MidpointRounding.AwayFromZero);
                requested[c] = want;
                foreach (var entry in accepted.Where(e => e.Label == c).Take(want))
                {
                    var path = SyntheticManifest.Resolve(manifest, entry);
                    train.Add(new ClipRef(path, c, Splits.Train, $"synthetic:{entry.Generator}:{entry.Path}", Source: entry.Generator));
                    synthCounts[c]++;
                }
            }
        }
        var summary = new MixSummary(realCounts, synthCounts, mix.Ratio, targets) { Requested = requested, Manifest = mix.SyntheticManifest };
        return (train, summary);
    }

    /// <summary>The summary recounted from the clips that actually loaded (a quarantined clip drops out of the counts).</summary>
    public static MixSummary Recount(MixSummary planned, IReadOnlyList<string> classes, IEnumerable<ClipRef> loaded)
    {
        var list = loaded.ToList();
        return planned with
        {
            Real = classes.ToDictionary(c => c, c => list.Count(r => r.Label == c && r.Source == "real")),
            Synthetic = classes.ToDictionary(c => c, c => list.Count(r => r.Label == c && r.Source != "real")),
        };
    }
}
