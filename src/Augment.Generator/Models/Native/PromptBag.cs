using TorchSharp.Modules;
using System.Text;
using static TorchSharp.torch;

namespace Augment.Generator.Models.Native;

/// <summary>
/// A prompt as a bag of hashed words: lower-cased words go to fixed buckets by a stable hash, so the prompts of a new
/// domain are addressable after pretraining without resizing anything. The bag is normalised to sum 1 (mean pooling);
/// the all-zero bag is the unconditional input of classifier-free guidance. The ONNX backend feeds this same vector.
/// </summary>
public static class PromptBag
{
    public static IEnumerable<string> Words(string prompt)
    {
        var word = new StringBuilder();
        foreach (var ch in prompt.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(ch)) { word.Append(ch); continue; }
            if (word.Length > 0) { yield return word.ToString(); word.Clear(); }
        }
        if (word.Length > 0) yield return word.ToString();
    }

    /// <summary>FNV-1a over UTF-8 into buckets 1..buckets-1 (0 stays empty).</summary>
    public static int Bucket(string word, int buckets)
    {
        uint h = 2166136261;
        foreach (var b in Encoding.UTF8.GetBytes(word)) { h ^= b; h *= 16777619; }
        return 1 + (int)(h % (uint)(buckets - 1));
    }

    public static float[] Vector(string prompt, int buckets)
    {
        var bag = new float[buckets];
        var words = Words(prompt).ToList();
        foreach (var w in words) bag[Bucket(w, buckets)] += 1f / words.Count;
        return bag;
    }

    /// <summary>[N, buckets] float tensor, one row per prompt.</summary>
    public static Tensor Batch(IReadOnlyList<string> prompts, int buckets)
    {
        var data = new float[prompts.Count * buckets];
        for (int i = 0; i < prompts.Count; i++) Vector(prompts[i], buckets).CopyTo(data, i * buckets);
        return tensor(data, new long[] { prompts.Count, buckets });
    }
}
