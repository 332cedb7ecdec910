using Augment.Classifier;
using Augment.Data;
using static TorchSharp.torch;
using Augment.Synthetic;

namespace Augment.Tests.Classifier;

/// <summary>
/// Small in-memory clip sets whose classes differ the way the demo's do: each class has its own tint and a bright bar
/// that moves in its own direction, on top of seeded noise.
/// </summary>
static class TinyClips
{
    public static readonly string[] Classes = ["red-left", "green-right", "blue-down", "grey-up"];

    public static ClipSet Make(int perClass, int frames, int size, int seed, string split = "train")
    {
        var rng = new Random(seed);
        int n = perClass * Classes.Length, clipBytes = frames * size * size * 3;
        var pixels = new byte[n * clipBytes];
        var labels = new int[n];
        var refs = new List<ClipRef>();
        for (int i = 0; i < n; i++)
        {
            int c = i % Classes.Length;
            labels[i] = c;
            refs.Add(new ClipRef($"{split}/{Classes[c]}/{i}.mp4", Classes[c], split, $"{split}-{i}"));
            int start = rng.Next(size);
            for (int f = 0; f < frames; f++)
            {
                int bar = (start + (c % 2 == 0 ? -1 : 1) * 2 * f + size * 4) % size;
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                    {
                        int along = c < 2 ? x : y;
                        bool onBar = Math.Abs(along - bar) <= 1;
                        int o = ((i * frames + f) * size * size + y * size + x) * 3;
                        for (int ch = 0; ch < 3; ch++)
                        {
                            int tint = c == 3 ? 110 : ch == c ? 150 : 80;
                            int v = tint + rng.Next(-40, 41) + (onBar ? 90 : 0);
                            pixels[o + ch] = (byte)Math.Clamp(v, 0, 255);
                        }
                    }
            }
        }
        var t = tensor(pixels, new long[] { n, frames, size, size, 3 }, ScalarType.Byte);
        return new ClipSet(t, labels, refs, Classes);
    }

    public static MixSummary RealOnly(ClipSet train) => new(
        Classes.ToDictionary(c => c, c => train.Labels.Count(l => Classes[l] == c)),
        Classes.ToDictionary(c => c, _ => 0), 0, Classes);

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "augment-classifier-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
