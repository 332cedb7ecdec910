using System.Text.Json;

namespace Augment.Data;

/// <summary>
/// One clip a generator made (or failed to make), before any gate has judged it: where it is, what asked for it, and
/// the settings that made it, which decide whether a resumed run can keep it.
/// </summary>
public sealed record GeneratedClip
{
    /// <summary>Relative to the list's folder.</summary>
    public required string Path { get; init; }
    public required string Label { get; init; }
    public int Index { get; init; }
    public string Prompt { get; init; } = "";
    public required string Generator { get; init; }
    public string CheckpointHash { get; init; } = "";
    public long Seed { get; init; }
    public int Steps { get; init; }
    public double Cfg { get; init; }
    public double Shift { get; init; }
    public string Solver { get; init; } = "";
    /// <summary>Why no clip was written (unreadable import, non-finite model output); null when the file exists.</summary>
    public string? Failure { get; init; }
}

/// <summary>clips.jsonl: a generation's clips, class by class in the requested order, then by index.</summary>
public static class GeneratedClips
{
    public const string FileName = "clips.jsonl";

    static readonly JsonSerializerOptions Compact = new(AtomicFile.Json) { WriteIndented = false };

    public static void Write(string path, IEnumerable<GeneratedClip> clips) =>
        AtomicFile.WriteAllText(path, string.Concat(clips.Select(c => JsonSerializer.Serialize(c, Compact) + "\n")));

    public static IReadOnlyList<GeneratedClip> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such clip list (has the generation finished?)", path);
        var list = new List<GeneratedClip>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            try { list.Add(JsonSerializer.Deserialize<GeneratedClip>(text, AtomicFile.Json) ?? throw new InvalidDataException("null entry")); }
            catch (JsonException e) { throw new InvalidDataException($"{path}:{line}: not a generated-clip entry: {e.Message}", e); }
        }
        return list;
    }

    /// <summary>Absolute path of an entry's clip.</summary>
    public static string Resolve(string listPath, GeneratedClip clip) =>
        System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(listPath))!, clip.Path));

    /// <summary>A class name as a file or folder name.</summary>
    public static string SafeName(string label) =>
        string.Concat(label.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
