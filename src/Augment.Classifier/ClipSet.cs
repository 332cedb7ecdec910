using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using static TorchSharp.torch;

namespace Augment.Classifier;

/// <summary>
/// All clips of one split, decoded once (through the clip cache) into a single uint8 tensor [N,T,H,W,3] in memory, so
/// every epoch reads from RAM. Clips whose video cannot be read are quarantined and left out.
/// </summary>
public sealed class ClipSet : IDisposable
{
    public ClipSet(Tensor pixels, int[] labels, IReadOnlyList<ClipRef> clips, IReadOnlyList<string> classes, IReadOnlyList<QuarantineEntry>? quarantined = null)
    {
        if (pixels.dtype != ScalarType.Byte || pixels.dim() != 5 || pixels.shape[4] != 3)
            throw new ArgumentException($"clip tensor must be uint8 [N,T,H,W,3], got {pixels.dtype} [{string.Join(",", pixels.shape)}]");
        if (pixels.shape[0] != labels.Length || labels.Length != clips.Count)
            throw new ArgumentException($"{pixels.shape[0]} clips, {labels.Length} labels, {clips.Count} clip refs");
        if (labels.Any(l => l < 0 || l >= classes.Count)) throw new ArgumentException($"labels must lie in 0..{classes.Count - 1}");
        Pixels = pixels; Labels = labels; Clips = clips; Classes = classes; Quarantined = quarantined ?? [];
    }

    /// <summary>uint8 [N,T,H,W,3] on the CPU.</summary>
    public Tensor Pixels { get; }
    public int[] Labels { get; }
    public IReadOnlyList<ClipRef> Clips { get; }
    /// <summary>Class names; a label is an index into this list.</summary>
    public IReadOnlyList<string> Classes { get; }
    public IReadOnlyList<QuarantineEntry> Quarantined { get; }
    public int Count => Labels.Length;

    /// <summary>Reads every clip through the cache, in parallel (the cache is safe for concurrent readers), keeping input order.</summary>
    public static ClipSet Load(IReadOnlyList<ClipRef> clips, IReadOnlyList<string> classes, ClipSpec spec, ClipCache cache)
    {
        var labelOf = new int[clips.Count];
        for (int i = 0; i < clips.Count; i++)
            labelOf[i] = IndexOf(classes, clips[i].Label)
                ?? throw new InvalidDataException($"{clips[i].Path}: label '{clips[i].Label}' is not one of the classes ({string.Join(", ", classes)})");

        int clipBytes = spec.Frames * spec.Height * spec.Width * 3;
        var decoded = new Clip?[clips.Count];
        var problems = new string?[clips.Count];
        Parallel.For(0, clips.Count, i =>
        {
            try { decoded[i] = cache.Get(clips[i], spec); }
            catch (VideoReadException e) { problems[i] = e.Problem; }
        });

        var kept = new List<ClipRef>(clips.Count);
        var labels = new List<int>(clips.Count);
        var quarantined = new List<QuarantineEntry>();
        var buffer = new byte[(long)clipBytes * clips.Count];
        for (int i = 0; i < clips.Count; i++)
        {
            if (decoded[i] is not { } clip)
            {
                quarantined.Add(new QuarantineEntry(clips[i].Path, problems[i]!, QuarantineKind.Unreadable));
                continue;
            }
            if (clip.Pixels.Length != clipBytes)
                throw new InvalidDataException($"{clips[i].Path}: cache returned {clip.Frames}x{clip.Height}x{clip.Width}, expected {spec.Frames}x{spec.Height}x{spec.Width}");
            clip.Pixels.CopyTo(buffer, (long)kept.Count * clipBytes);
            kept.Add(clips[i]);
            labels.Add(labelOf[i]);
        }
        var pixels = tensor(buffer.AsSpan(0, kept.Count * clipBytes).ToArray(), new long[] { kept.Count, spec.Frames, spec.Height, spec.Width, 3 }, ScalarType.Byte);
        return new ClipSet(pixels, labels.ToArray(), kept, classes, quarantined);
    }

    public int[] CountPerClass()
    {
        var counts = new int[Classes.Count];
        foreach (var l in Labels) counts[l]++;
        return counts;
    }

    static int? IndexOf(IReadOnlyList<string> classes, string label)
    {
        for (int i = 0; i < classes.Count; i++) if (classes[i] == label) return i;
        return null;
    }

    public void Dispose() => Pixels.Dispose();
}
