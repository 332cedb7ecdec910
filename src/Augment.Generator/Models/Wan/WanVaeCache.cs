using static TorchSharp.torch;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// The feature cache of diffusers' chunked Wan VAE pass (<c>feat_cache</c>/<c>feat_idx</c>): one slot per cached call
/// site, visited in order every chunk. A slot holds the last <see cref="Frames"/> input frames of its causal conv, or
/// the "Rep" mark an upsample3d leaves on the first chunk (its time conv is skipped there).
/// </summary>
public sealed class WanVaeCache : IDisposable
{
    public const int Frames = 2; // CACHE_T
    readonly List<Tensor?> slots = [];
    readonly List<bool> rep = [];
    int index;

    /// <summary>Starts a chunk: the slots are visited again from the first.</summary>
    public void BeginChunk() => index = 0;

    /// <summary>The next slot's index (made on the first chunk).</summary>
    public int Next()
    {
        if (index == slots.Count) { slots.Add(null); rep.Add(false); }
        return index++;
    }

    public Tensor? Get(int slot) => slots[slot];
    public bool IsRep(int slot) => rep[slot];

    public void Set(int slot, Tensor? value, bool isRep = false)
    {
        slots[slot]?.Dispose();
        slots[slot] = value?.detach().DetachFromDisposeScope();
        rep[slot] = isRep;
    }

    /// <summary>The causal-conv pattern diffusers repeats at every call site: cache the last two input frames (with the
    /// previous chunk's last frame in front when this chunk has only one), run the conv with the old cache.</summary>
    public Tensor CausalConv(WanCausalConv3d conv, Tensor x)
    {
        int slot = Next();
        var previous = Get(slot);
        Tensor keep;
        using (var tail = x.narrow(2, Math.Max(0, x.shape[2] - Frames), Math.Min(Frames, x.shape[2]))) keep = tail.clone();
        if (keep.shape[2] < Frames && previous is not null)
            using (var last = previous.narrow(2, previous.shape[2] - 1, 1))
            using (var one = keep)
                keep = cat([last, one], 2);
        var y = conv.forward(x, previous);
        Set(slot, keep);
        return y;
    }

    /// <summary>f(x), then x freed (x must be the caller's own intermediate): a decoded chunk's tensors at full
    /// resolution are 0.6 GB each in fp32 at 480p, so none outlives the step that consumes it.</summary>
    public static Tensor Step(Tensor x, Func<Tensor, Tensor> f)
    {
        var y = f(x);
        x.Dispose();
        return y;
    }

    public void Dispose()
    {
        foreach (var t in slots) t?.Dispose();
        slots.Clear();
    }
}
