namespace Augment.Data.Video;

public sealed record VideoInfo(int FrameCount, double Fps, int Width, int Height);

/// <summary>A video that cannot be used; the message names the file and the problem. Callers quarantine it.</summary>
public sealed class VideoReadException(string path, string problem) : Exception($"{path}: {problem}")
{
    public string VideoPath { get; } = path;
    public string Problem { get; } = problem;
}

/// <summary>Probe, decode and encode videos with OpenCV.</summary>
public static class VideoIO
{
    public static VideoInfo Probe(string path) => throw new NotImplementedException();

    /// <summary>
    /// Decodes frames [start, start+count) (count -1: to the end), samples spec.Frames of them uniformly in time,
    /// resizes each to spec.Height×spec.Width (centre-crop or letterbox) and pads short videos by spec.Pad.
    /// </summary>
    public static Clip Read(string path, ClipSpec spec, int start = 0, int count = -1) => throw new NotImplementedException();

    /// <summary>Writes a playable mp4 (mp4v), atomically.</summary>
    public static void WriteMp4(string path, Clip clip, double fps = 8) => throw new NotImplementedException();
}
