using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;

namespace Augment.Generator.Backends;

/// <summary>
/// The upper-bound control: its "generated" clips are real training clips that `keep` held out of the training split,
/// so a sweep can show what more real data of the targeted classes gains (what a perfect generator could add at best).
/// Each class's held-out clips are taken in one seeded order, so clip i depends only on (seed, class, i) and a smaller
/// ratio mixes a prefix of a larger one's clips, exactly like generated clips. A class is given at most as many clips as
/// were held out. The caller passes only training clips; any clip of another split is refused, so validation and test
/// clips can never reach the mixer through this path.
/// </summary>
public sealed class HoldoutGenerator : IVideoGenerator
{
    readonly Dictionary<string, List<ClipRef>> byLabel;
    readonly ClipCache cache;

    public HoldoutGenerator(string name, IReadOnlyList<ClipRef> heldOut, ClipCache cache)
    {
        if (heldOut.FirstOrDefault(c => c.Split != Splits.Train) is { } stray)
            throw new ArgumentException($"held-out clip {stray.Path} is in the {stray.Split} split; only training clips may be held out");
        Name = name;
        this.cache = cache;
        // Ordered before shuffling, so the order depends on the clips and the seed only, not on how they were listed.
        byLabel = heldOut.GroupBy(c => c.Label).ToDictionary(g => g.Key,
            g => g.OrderBy(c => c.Path, StringComparer.Ordinal).ThenBy(c => c.StartFrame).ToList());
        CheckpointHash = ListHash(heldOut);
    }

    public string Name { get; }
    public string CheckpointHash { get; }

    public GenerationResult Generate(GenerationRequest request, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        var order = byLabel.ToDictionary(kv => kv.Key, kv =>
        {
            var list = kv.Value.ToList();
            Stats.Shuffle(list, Seeds.Random(request.Seed, $"holdout/{kv.Key}"));
            return list;
        });
        var perClass = request.PerClass.ToDictionary(kv => kv.Key, kv => Math.Min(kv.Value, order.GetValueOrDefault(kv.Key)?.Count ?? 0));
        return GenerationRun.Execute(this, request with { PerClass = perClass }, ClipSettings.None,
            job => cache.Get(order[job.Label][job.Index], request.Spec), progress, cancel,
            job => job with { Prompt = $"held-out real clip {order[job.Label][job.Index].VideoId}", Seed = 0 });
    }

    static string ListHash(IReadOnlyList<ClipRef> clips) =>
        FileHash.OfText(string.Join("\n", clips.Select(c => $"{c.Label}|{c.Path}|{c.StartFrame}|{c.FrameCount}").Order(StringComparer.Ordinal)))[..12];
}
