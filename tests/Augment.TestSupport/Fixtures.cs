using Augment.Data;
using Augment.Data.Video;

namespace Augment.Tests.Data;

/// <summary>A temporary folder deleted when the test ends.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => System.IO.Directory.CreateDirectory(Path);
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "augment-data-" + Guid.NewGuid().ToString("N"));
    public string this[string relative] => System.IO.Path.Combine(Path, relative);
    public void Dispose() { try { System.IO.Directory.Delete(Path, recursive: true); } catch (IOException) { } }
}

/// <summary>Small videos with known content, written with the project's own encoder.</summary>
public static class Fixtures
{
    /// <summary>Frame t is a flat colour whose brightness encodes t, so sampled frame indices can be read back.</summary>
    public static Clip Ramp(int frames, int height = 16, int width = 16, int step = 12, byte red = 200, byte blue = 40)
    {
        var px = new byte[frames * height * width * 3];
        for (int t = 0; t < frames; t++)
            for (int i = 0; i < height * width; i++)
            {
                int o = (t * height * width + i) * 3;
                px[o] = red; px[o + 1] = (byte)Math.Min(255, 10 + step * t); px[o + 2] = blue;
            }
        return new Clip(px, frames, height, width);
    }

    static int written;
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> contents = new();

    /// <summary>A ramp video whose file bytes are unique among those written in this test run, so no two fixture files
    /// share content (identical files are quarantined as duplicates by the loader). mp4v quantises neighbouring colour
    /// levels to the same bytes — one-frame 16×16 clips one red level apart collided about one time in three — so each
    /// file is hashed and rewritten with the next levels until it is new.</summary>
    public static string WriteVideo(string path, int frames = 6, int size = 16, int step = 12)
    {
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        while (true)
        {
            int n = Interlocked.Increment(ref written);
            VideoIO.WriteMp4(path, Ramp(frames, size, size, step, red: (byte)(150 + n % 100), blue: (byte)(20 + n / 100 % 200)));
            if (contents.TryAdd(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), 0))
                return path;
        }
    }

    /// <summary>Mean of one channel over frame t.</summary>
    public static double Mean(Clip clip, int t, int channel)
    {
        long sum = 0; int n = clip.Height * clip.Width;
        for (int i = 0; i < n; i++) sum += clip.Pixels[(t * n + i) * 3 + channel];
        return (double)sum / n;
    }
}
