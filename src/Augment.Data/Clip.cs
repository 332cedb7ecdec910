using TorchSharp;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Data;

/// <summary>How a video becomes a fixed-size clip.</summary>
public enum ResizeMode { CenterCrop, Letterbox }

/// <summary>What to do when a video has fewer frames than the clip asks for.</summary>
public enum PadPolicy { RepeatLast, Loop, Reject }

/// <summary>The shape every clip of a run is decoded to.</summary>
public sealed record ClipSpec(int Frames = 16, int Height = 64, int Width = 64,
    ResizeMode Resize = ResizeMode.CenterCrop, PadPolicy Pad = PadPolicy.RepeatLast)
{
    public string Key => $"{Frames}x{Height}x{Width}-{Resize}-{Pad}".ToLowerInvariant();
}

/// <summary>A decoded clip: uint8 RGB frames, row-major [T,H,W,3].</summary>
public sealed class Clip
{
    public Clip(byte[] pixels, int frames, int height, int width)
    {
        if (pixels.Length != frames * height * width * 3)
            throw new ArgumentException($"pixel buffer holds {pixels.Length} bytes, expected {frames}x{height}x{width}x3");
        Pixels = pixels; Frames = frames; Height = height; Width = width;
    }

    public byte[] Pixels { get; }
    public int Frames { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>uint8 tensor [T,H,W,3] on the CPU (a copy).</summary>
    public Tensor ToTensor() => tensor(Pixels, new long[] { Frames, Height, Width, 3 }, ScalarType.Byte);

    /// <summary>From a uint8 (or float in [0,255]) tensor [T,H,W,3].</summary>
    public static Clip FromTensor(Tensor t)
    {
        if (t.dim() != 4 || t.shape[3] != 3) throw new ArgumentException($"expected [T,H,W,3], got [{string.Join(",", t.shape)}]");
        using var bytes = t.dtype == ScalarType.Byte ? t.cpu().contiguous() : t.cpu().round().Clamped(0, 255).to(ScalarType.Byte).contiguous();
        return new Clip(bytes.data<byte>().ToArray(), (int)t.shape[0], (int)t.shape[1], (int)t.shape[2]);
    }
}

/// <summary>
/// One labelled clip of a dataset: a whole video or a window of it. Every clip cut from one video shares its
/// <see cref="VideoId"/>, and every video of one <see cref="Group"/> (a patient, a source recording) its group, so
/// splits keep a video, and a group, on one side.
/// </summary>
public sealed record ClipRef(string Path, string Label, string Split, string VideoId,
    int StartFrame = 0, int FrameCount = -1, string Source = "real", string? Group = null)
{
    /// <summary>What a split keeps together: the group when there is one, else the video.</summary>
    public string SplitUnit => Group is null ? "video:" + VideoId : "group:" + Group;
}

/// <summary>A file that could not be used, why, and what kind of problem it is (<see cref="QuarantineKind"/>), set where the decision is made.</summary>
public sealed record QuarantineEntry(string Path, string Reason, string Kind);

/// <summary>The kinds of quarantine.csv rows.</summary>
public static class QuarantineKind
{
    public const string Unreadable = "unreadable", Unlabelled = "unlabelled", UnknownLabel = "unknown-label", Excluded = "excluded",
        Duplicate = "duplicate", LabelConflict = "label-conflict", OutsideRoot = "outside-root", Short = "short",
        NotVideo = "not-a-video", BadEntry = "bad-entry", Missing = "missing", SymlinkLoop = "symlink-loop",
        PermissionDenied = "permission-denied", NotAnnotated = "not-annotated", SplitConflict = "split-conflict";
}
