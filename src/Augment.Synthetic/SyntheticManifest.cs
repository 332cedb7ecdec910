using Augment.Data;

namespace Augment.Synthetic;

/// <summary>
/// One generated clip as the generator wrote it and the quality gate judged it. The mixer reads only accepted clips, in
/// manifest order, so a smaller augmentation ratio takes a prefix (a nested subset) of the same clips.
/// </summary>
public sealed record SyntheticClip
{
    /// <summary>Relative to the manifest's folder.</summary>
    public required string Path { get; init; }
    public required string Label { get; init; }
    public string Prompt { get; init; } = "";
    public required string Generator { get; init; }
    public string CheckpointHash { get; init; } = "";
    public long Seed { get; init; }
    public int Steps { get; init; }
    public double Cfg { get; init; }
    public IReadOnlyDictionary<string, double> GateScores { get; init; } = new Dictionary<string, double>();
    public bool Accepted { get; init; } = true;
    public string? RejectReason { get; init; }
}

/// <summary>Reads and writes manifest.jsonl (one <see cref="SyntheticClip"/> per line).</summary>
public static class SyntheticManifest
{
    public const string FileName = "manifest.jsonl";

    public static void Write(string path, IEnumerable<SyntheticClip> clips)
    {
        var compact = new System.Text.Json.JsonSerializerOptions(AtomicFile.Json) { WriteIndented = false };
        AtomicFile.WriteAllText(path, string.Concat(clips.Select(c => System.Text.Json.JsonSerializer.Serialize(c, compact) + "\n")));
    }

    public static IReadOnlyList<SyntheticClip> Read(string path)
    {
        var list = new List<SyntheticClip>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try
            {
                list.Add(System.Text.Json.JsonSerializer.Deserialize<SyntheticClip>(text, AtomicFile.Json)
                         ?? throw new InvalidDataException("null entry"));
            }
            catch (System.Text.Json.JsonException e)
            {
                throw new InvalidDataException($"{path}:{line}: not a synthetic-clip entry: {e.Message}", e);
            }
        }
        return list;
    }

    /// <summary>Absolute path of a manifest entry's clip.</summary>
    public static string Resolve(string manifestPath, SyntheticClip clip) =>
        System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(manifestPath))!, clip.Path));
}
