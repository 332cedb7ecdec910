using System.Runtime.InteropServices;
using OpenCvSharp;

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
    // FFmpeg and OpenCV print to stderr on every odd file ("moov atom not found"); problems reach the user as
    // VideoReadException instead. A value the user set (for debugging) wins.
    static VideoIO()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        try
        {
            NativeEnvironment.Set("OPENCV_FFMPEG_LOGLEVEL", "-8", overwrite: false); // AV_LOG_QUIET
            NativeEnvironment.Set("OPENCV_LOG_LEVEL", "SILENT", overwrite: false);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
    }

    /// <summary>Frame count, fps and size. The container's frame count is checked by decoding its last frame, because
    /// AVI/MPG headers often overstate it; when the check fails the frames are counted one by one.</summary>
    public static VideoInfo Probe(string path)
    {
        if (Directory.Exists(path)) return ProbeFrameFolder(path);
        using var cap = Open(path);
        using var frame = new Mat();
        if (!cap.Read(frame) || frame.Empty()) throw new VideoReadException(path, "no decodable frames");
        int width = frame.Width, height = frame.Height;
        double fps = cap.Get(VideoCaptureProperties.Fps);
        if (!(fps > 0 && fps < 1000)) fps = 25; // unknown rate: the common endoscopy rate, only used for reporting
        return new VideoInfo(CountFrames(cap), fps, width, height);
    }

    /// <summary>
    /// Decodes frames [start, start+count) (count -1: to the end), samples spec.Frames of them uniformly in time,
    /// resizes each to spec.Height×spec.Width (centre-crop or letterbox) and pads short videos by spec.Pad.
    /// </summary>
    public static Clip Read(string path, ClipSpec spec, int start = 0, int count = -1)
    {
        if (spec.Frames <= 0 || spec.Height <= 0 || spec.Width <= 0)
            throw new ArgumentException($"clip spec {spec.Key} must have positive frames and size");
        if (start < 0) throw new ArgumentOutOfRangeException(nameof(start), $"{path}: window start {start} < 0");
        if (Directory.Exists(path)) return ReadFrameFolder(path, spec, start, count);
        using var cap = Open(path);
        int total = (int)cap.Get(VideoCaptureProperties.FrameCount);
        int available = WindowLength(total, start, count);
        // Decode once trusting the header; if the stream ends early the header lied, so retry with the true length.
        var pixels = TryRead(path, cap, spec, start, available, out int decoded);
        if (pixels is null)
        {
            if (decoded == 0) throw new VideoReadException(path, start == 0 ? "no decodable frames" : $"no decodable frames at or after frame {start}");
            using var again = Open(path);
            pixels = TryRead(path, again, spec, start, decoded, out _)
                     ?? throw new VideoReadException(path, "decoding is not repeatable (frames vanish between reads)");
        }
        return new Clip(pixels, spec.Frames, spec.Height, spec.Width);
    }

    /// <summary>Which source frames (relative to the window start) fill the clip's frames, by the pad policy.</summary>
    public static int[] SampleIndices(int available, int frames, PadPolicy pad, string path = "")
    {
        if (available <= 0) throw new VideoReadException(path, "no frames in the requested window");
        var idx = new int[frames];
        if (available >= frames)
        {
            // Centre of each of `frames` equal segments: uniform in time, symmetric about the window.
            for (int i = 0; i < frames; i++) idx[i] = (int)((i + 0.5) * available / frames);
            return idx;
        }
        for (int i = 0; i < frames; i++)
            idx[i] = pad switch
            {
                PadPolicy.RepeatLast => Math.Min(i, available - 1),
                PadPolicy.Loop => i % available,
                _ => throw new VideoReadException(path, $"has {available} frames, the clip needs {frames} (pad policy Reject)"),
            };
        return idx;
    }

    /// <summary>Smallest side OpenCV's FFmpeg build decodes mp4v at (16×16 and smaller encode but never decode).</summary>
    public const int MinStoredSide = 18;

    /// <summary>
    /// Writes a playable mp4 (mp4v), atomically. Clips with a side under <see cref="MinStoredSide"/> are stored
    /// upscaled by an integer factor (nearest neighbour), so reading them back at their own size returns the same pixels.
    /// </summary>
    public static void WriteMp4(string path, Clip clip, double fps = 8)
    {
        if (clip.Frames == 0) throw new ArgumentException($"{path}: a clip with no frames cannot be written");
        if (!(fps > 0)) throw new ArgumentOutOfRangeException(nameof(fps), $"{path}: fps must be positive, got {fps}");
        int factor = (MinStoredSide + Math.Min(clip.Height, clip.Width) - 1) / Math.Min(clip.Height, clip.Width);
        var stored = new Size(clip.Width * factor, clip.Height * factor);
        AtomicFile.Write(path, tmp =>
        {
            using var writer = new VideoWriter(tmp, FourCC.FromString("mp4v"), fps, stored, isColor: true);
            if (!writer.IsOpened()) throw new IOException($"{path}: OpenCV could not open an mp4v writer");
            int frameBytes = clip.Height * clip.Width * 3;
            using var rgb = new Mat(clip.Height, clip.Width, MatType.CV_8UC3);
            using var bgr = new Mat();
            using var scaled = new Mat();
            for (int t = 0; t < clip.Frames; t++)
            {
                Marshal.Copy(clip.Pixels, t * frameBytes, rgb.Data, frameBytes);
                Cv2.CvtColor(rgb, bgr, ColorConversionCodes.RGB2BGR);
                if (factor == 1) writer.Write(bgr);
                else
                {
                    Cv2.Resize(bgr, scaled, stored, interpolation: InterpolationFlags.Nearest);
                    writer.Write(scaled);
                }
            }
        });
    }

    // ---- a folder of frame images (e.g. SurgVisDom per-video folders) is a video too

    static string[] FrameFiles(string dir)
    {
        var files = Directory.EnumerateFiles(dir)
            .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg" or ".bmp")
            .OrderBy(f => Path.GetFileName(f).Length).ThenBy(f => f, StringComparer.Ordinal) // 2.png before 10.png
            .ToArray();
        if (files.Length == 0) throw new VideoReadException(dir, "frame folder holds no .png/.jpg/.bmp frames");
        return files;
    }

    static Mat ReadFrame(string file)
    {
        var img = Cv2.ImRead(file, ImreadModes.Color);
        if (img.Empty()) { img.Dispose(); throw new VideoReadException(file, "frame image cannot be decoded"); }
        return img;
    }

    /// <summary>Decodes every frame image: a corrupt one late in the folder must be found by validate, not in training.</summary>
    static VideoInfo ProbeFrameFolder(string dir)
    {
        var files = FrameFiles(dir);
        int width = 0, height = 0;
        foreach (var file in files)
        {
            Mat frame;
            try { frame = ReadFrame(file); }
            catch (VideoReadException) { throw new VideoReadException(dir, $"frame image {Path.GetFileName(file)} cannot be decoded"); }
            using (frame) if (width == 0) (width, height) = (frame.Width, frame.Height);
        }
        return new VideoInfo(files.Length, 25, width, height);
    }

    static Clip ReadFrameFolder(string dir, ClipSpec spec, int start, int count)
    {
        var files = FrameFiles(dir);
        int available = WindowLength(files.Length, start, count);
        var idx = SampleIndices(available, spec.Frames, spec.Pad, dir);
        int frameBytes = spec.Height * spec.Width * 3;
        var pixels = new byte[spec.Frames * frameBytes];
        using var rgb = new Mat();
        foreach (var f in idx.Distinct())
        {
            using var raw = ReadFrame(files[start + f]);
            Resize(raw, rgb, spec);
            for (int p = 0; p < idx.Length; p++)
                if (idx[p] == f) Marshal.Copy(rgb.Data, pixels, p * frameBytes, frameBytes);
        }
        return new Clip(pixels, spec.Frames, spec.Height, spec.Width);
    }

    static VideoCapture Open(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new VideoReadException(path, "file not found");
        if (info.Length == 0) throw new VideoReadException(path, "zero-length file");
        var cap = new VideoCapture(path);
        if (!cap.IsOpened())
        {
            cap.Dispose();
            throw new VideoReadException(path, "cannot be opened as a video (corrupt or unsupported container/codec)");
        }
        return cap;
    }

    // Trusts the header count only if its last frame decodes; otherwise counts by grabbing every frame.
    /// <summary>Frames in the video; called with the first frame already read, so the answer is at least 1.</summary>
    static int CountFrames(VideoCapture cap)
    {
        int reported = (int)cap.Get(VideoCaptureProperties.FrameCount);
        using var frame = new Mat();
        // A header of 0 or 1: count on from the frame already read (a 1-frame file may refuse to rewind).
        if (reported <= 1)
        {
            int rest = 0;
            while (cap.Grab()) rest++;
            return 1 + rest;
        }
        // Trust the header only if its last frame decodes where it should: seeking into a truncated file can land on
        // the last frame that exists instead, which the position after the read gives away.
        if (cap.Set(VideoCaptureProperties.PosFrames, reported - 1) && cap.Read(frame) && !frame.Empty()
            && (int)cap.Get(VideoCaptureProperties.PosFrames) == reported && !cap.Grab())
            return reported;
        cap.Set(VideoCaptureProperties.PosFrames, 0);
        int n = 0;
        while (cap.Grab()) n++;
        return Math.Max(1, n);
    }

    static int WindowLength(int total, int start, int count)
    {
        // A header of 0 or less means "unknown": read until the stream ends.
        int toEnd = total > 0 ? Math.Max(0, total - start) : int.MaxValue;
        return count < 0 ? toEnd : Math.Min(count, toEnd);
    }

    // Returns null when the stream ended before `available` frames (decoded says how many were there).
    static byte[]? TryRead(string path, VideoCapture cap, ClipSpec spec, int start, int available, out int decoded)
    {
        decoded = 0;
        if (available == int.MaxValue) available = CountFromStart(cap, start);
        if (available <= 0) return null;
        var idx = SampleIndices(available, spec.Frames, spec.Pad, path);
        if (start > 0) SeekTo(cap, start);
        int frameBytes = spec.Height * spec.Width * 3;
        var pixels = new byte[spec.Frames * frameBytes];
        using var raw = new Mat();
        using var rgb = new Mat();
        int last = idx.Max(), filled = 0;
        for (int f = 0; f <= last && filled < idx.Length; f++)
        {
            if (!cap.Grab()) return null;
            decoded = f + 1;
            if (Array.IndexOf(idx, f) < 0) continue;
            if (!cap.Retrieve(raw) || raw.Empty()) { decoded = f; return null; } // a broken frame ends the usable stream
            Resize(raw, rgb, spec);
            // Looping and repeating pads use one source frame at several clip positions.
            for (int p = 0; p < idx.Length; p++)
                if (idx[p] == f) { Marshal.Copy(rgb.Data, pixels, p * frameBytes, frameBytes); filled++; }
        }
        return pixels;
    }

    static int CountFromStart(VideoCapture cap, int start)
    {
        cap.Set(VideoCaptureProperties.PosFrames, 0);
        int n = 0;
        while (cap.Grab()) n++;
        cap.Set(VideoCaptureProperties.PosFrames, 0);
        return Math.Max(0, n - start);
    }

    // Seeking by frame index is inexact for some codecs; grabbing from the start is exact and only costs decode time.
    static void SeekTo(VideoCapture cap, int start)
    {
        if (cap.Set(VideoCaptureProperties.PosFrames, start) && (int)cap.Get(VideoCaptureProperties.PosFrames) == start) return;
        cap.Set(VideoCaptureProperties.PosFrames, 0);
        for (int i = 0; i < start && cap.Grab(); i++) { }
    }

    /// <summary>BGR frame of any size → contiguous RGB spec.Height×spec.Width (colour converted after shrinking: cheaper).</summary>
    static void Resize(Mat frame, Mat rgbOut, ClipSpec spec)
    {
        int h = frame.Height, w = frame.Width;
        bool cover = spec.Resize == ResizeMode.CenterCrop;
        double scale = cover ? Math.Max((double)spec.Height / h, (double)spec.Width / w)
                             : Math.Min((double)spec.Height / h, (double)spec.Width / w);
        int rh = Math.Max(1, (int)Math.Round(h * scale)), rw = Math.Max(1, (int)Math.Round(w * scale));
        if (cover) { rh = Math.Max(rh, spec.Height); rw = Math.Max(rw, spec.Width); }
        else { rh = Math.Min(rh, spec.Height); rw = Math.Min(rw, spec.Width); }
        using var resized = new Mat();
        Cv2.Resize(frame, resized, new Size(rw, rh), interpolation: scale < 1 ? InterpolationFlags.Area : InterpolationFlags.Linear);
        using var fitted = new Mat();
        if (cover)
        {
            using var roi = new Mat(resized, new Rect((rw - spec.Width) / 2, (rh - spec.Height) / 2, spec.Width, spec.Height));
            roi.CopyTo(fitted);
        }
        else
        {
            int top = (spec.Height - rh) / 2, left = (spec.Width - rw) / 2;
            Cv2.CopyMakeBorder(resized, fitted, top, spec.Height - rh - top, left, spec.Width - rw - left,
                BorderTypes.Constant, Scalar.Black);
        }
        Cv2.CvtColor(fitted, rgbOut, fitted.Channels() switch
        {
            1 => ColorConversionCodes.GRAY2RGB,
            4 => ColorConversionCodes.BGRA2RGB,
            _ => ColorConversionCodes.BGR2RGB,
        });
        if (!rgbOut.IsContinuous()) throw new InvalidOperationException("resized frame is not contiguous");
    }
}
