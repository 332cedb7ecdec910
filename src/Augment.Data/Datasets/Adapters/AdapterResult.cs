namespace Augment.Data.Datasets.Adapters;

/// <summary>One video (file or frame folder) an adapter found, before probing, splitting and scarcity.</summary>
/// <param name="Split">The dataset's own split (train/val/test), "train+val" for a pool the loader splits, or null.</param>
public sealed record VideoEntry(string Path, string Label, string? Split, string VideoId);

/// <summary>What an adapter read from a dataset's layout.</summary>
public sealed class AdapterResult
{
    public List<VideoEntry> Entries { get; } = [];
    public List<QuarantineEntry> Quarantined { get; } = [];
    public List<string> Missing { get; } = [];
    public Dictionary<string, int> Unmapped { get; } = new(StringComparer.Ordinal);
    /// <summary>The adapter's fixed class list (in label order), or null when classes come from the data.</summary>
    public IReadOnlyList<string>? Classes { get; init; }

    public void CountUnmapped(string label) => Unmapped[label] = Unmapped.GetValueOrDefault(label) + 1;
}

static class Layout
{
    public static readonly HashSet<string> VideoExtensions =
        new([".mp4", ".avi", ".mpg", ".mpeg", ".mov", ".mkv", ".m4v", ".webm", ".wmv"], StringComparer.OrdinalIgnoreCase);
    public static readonly HashSet<string> FrameExtensions =
        new([".png", ".jpg", ".jpeg", ".bmp"], StringComparer.OrdinalIgnoreCase);

    public static bool IsVideo(string path) => VideoExtensions.Contains(System.IO.Path.GetExtension(path));

    /// <summary>Lower case with runs of '_', '-' and spaces folded to one '-': "Knot_Tying" and "knot tying" agree.</summary>
    public static string Normalise(string name) =>
        string.Join('-', name.Trim().ToLowerInvariant().Split(['_', '-', ' '], StringSplitOptions.RemoveEmptyEntries));

    public static IEnumerable<string> SubDirs(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal) : [];

    public static IEnumerable<string> Files(string dir, SearchOption option = SearchOption.TopDirectoryOnly) =>
        Directory.Exists(dir) ? Directory.EnumerateFiles(dir, "*", option).Order(StringComparer.Ordinal) : [];

    public static string Relative(string root, string path) => System.IO.Path.GetRelativePath(root, path).Replace('\\', '/');
}
