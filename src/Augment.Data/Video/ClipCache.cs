namespace Augment.Data.Video;

/// <summary>Decoded clips on disk, keyed by (file content hash, window, clip spec), so a sweep decodes each video once.</summary>
public sealed class ClipCache(string directory)
{
    public string Directory { get; } = directory;

    public Clip Get(ClipRef clip, ClipSpec spec) => throw new NotImplementedException();
}
