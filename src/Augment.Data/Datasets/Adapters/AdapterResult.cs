namespace Augment.Data.Datasets.Adapters;

/// <summary>One video (file or frame folder) an adapter found, before probing, splitting and scarcity.</summary>
/// <param name="Split">The dataset's own split (train/val/test), "train+val" for a pool the loader splits, or null.</param>
/// <param name="Group">Videos of one group (patient, source video) always share a split; null: the video is its own group.</param>
/// <param name="Where">The manifest row it came from ("file:line"), so a refusal can name the line.</param>
public sealed record VideoEntry(string Path, string Label, string? Split, string VideoId, string? Group = null, string? Where = null);

/// <summary>What an adapter read from a dataset's layout.</summary>
public sealed class AdapterResult
{
    public AdapterResult() => Tree = new TreeWalker(this);

    public List<VideoEntry> Entries { get; } = [];
    public List<QuarantineEntry> Quarantined { get; } = [];
    public List<string> Missing { get; } = [];
    public Dictionary<string, int> Unmapped { get; } = new(StringComparer.Ordinal);
    /// <summary>Things a reader must know that are not one bad file (label sources that disagree, absent folders, …).</summary>
    public List<DatasetWarning> Warnings { get; } = [];
    /// <summary>Tool and OS clutter that was not read (.ipynb_checkpoints, __MACOSX, .DS_Store, …).</summary>
    public List<string> Junk { get; } = [];
    /// <summary>The adapter's fixed class list (in label order), or null when classes come from the data.</summary>
    public IReadOnlyList<string>? Classes { get; init; }
    /// <summary>How adapters list folders: every real folder once, junk skipped, loops and unreadable folders quarantined.</summary>
    public TreeWalker Tree { get; }

    public void CountUnmapped(string label) => Unmapped[label] = Unmapped.GetValueOrDefault(label) + 1;

    public void Quarantine(string path, string reason, string kind) => Quarantined.Add(new(path, reason, kind));
}

/// <summary>
/// Lists a dataset tree the way a careful person would: each real folder is read at its real location, a symlink
/// back to a folder that contains it is reported, not followed (a loop cannot relabel data), a folder reached through
/// a symlink is read once (the loader then prefers each file's real location, so a link cannot relabel it either),
/// hidden and tool folders are skipped and counted, and a folder or file that cannot be read is quarantined instead
/// of failing the dataset.
/// </summary>
public sealed class TreeWalker(AdapterResult result)
{
    static readonly HashSet<string> JunkNames = new(["__MACOSX", "@eaDir", "$RECYCLE.BIN", "System Volume Information", "Thumbs.db", "desktop.ini"],
        StringComparer.OrdinalIgnoreCase);

    // Real folders reached through a symlink, and the (lexical) folders below such a link: whatever order the walk
    // meets a link and its target in, the target is still read where it lies.
    readonly HashSet<string> linked = new(StringComparer.Ordinal);
    readonly HashSet<string> viaLink = new(StringComparer.Ordinal);
    readonly HashSet<string> unlistable = new(StringComparer.Ordinal);
    // Asking twice gives the same answer and reports each problem once.
    readonly Dictionary<string, List<string>> subDirs = new(StringComparer.Ordinal), files = new(StringComparer.Ordinal);

    public static bool IsJunk(string name) => name.StartsWith('.') || JunkNames.Contains(name);

    /// <summary>Whether listing the folder failed (already quarantined with the reason).</summary>
    public bool Unlistable(string dir) => unlistable.Contains(dir);

    public IReadOnlyList<string> SubDirs(string dir)
    {
        var key = Path.GetFullPath(dir);
        if (subDirs.TryGetValue(key, out var cached)) return cached;
        var realDir = PathGuard.RealPath(dir);
        bool dirViaLink = viaLink.Contains(key);
        var list = new List<string>();
        foreach (var sub in List(dir, directories: true))
        {
            if (IsJunk(Path.GetFileName(sub))) { result.Junk.Add(sub); continue; }
            var real = PathGuard.RealPath(sub);
            if (realDir == real || realDir.StartsWith(real.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                result.Quarantine(sub, $"symlink loop: leads back to {real}, which contains it", QuarantineKind.SymlinkLoop);
                continue;
            }
            if (dirViaLink || real != Path.Combine(realDir, Path.GetFileName(sub)))
            {
                if (!linked.Add(real))
                {
                    result.Quarantine(sub, $"symlink to a folder already read through another link ({real}): not read twice", QuarantineKind.Duplicate);
                    continue;
                }
                viaLink.Add(Path.GetFullPath(sub));
            }
            list.Add(sub);
        }
        return subDirs[key] = list;
    }

    /// <summary>Files of a folder (and, recursively, of its real subfolders); broken and looping symlinks are quarantined.</summary>
    public IReadOnlyList<string> Files(string dir, bool recursive = false)
    {
        var key = Path.GetFullPath(dir);
        if (!files.TryGetValue(key, out var list))
        {
            list = [];
            foreach (var file in List(dir, directories: false))
            {
                if (IsJunk(Path.GetFileName(file))) { result.Junk.Add(file); continue; }
                if (LinkProblem(file) is { } problem) { result.Quarantine(file, problem.Reason, problem.Kind); continue; }
                list.Add(file);
            }
            files[key] = list;
        }
        return recursive ? [.. list, .. SubDirs(dir).SelectMany(sub => Files(sub, recursive: true))] : list;
    }

    static (string Reason, string Kind)? LinkProblem(string file)
    {
        var info = new FileInfo(file);
        if (info.LinkTarget is null) return null;
        try
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target is { Exists: true } ? null : ($"broken symlink (to {info.LinkTarget})", QuarantineKind.Unreadable);
        }
        catch (IOException)
        {
            return ("symlink loop: the link never reaches a file", QuarantineKind.SymlinkLoop);
        }
    }

    // Only the entry itself is looked at (a link's target may be unreadable or absent without the folder being so).
    static bool CannotEnter(string entry)
    {
        try { _ = new FileInfo(entry).Attributes; return false; }
        catch (UnauthorizedAccessException) { return true; }
        catch (IOException) { return false; }
    }

    static bool CanList(string dir)
    {
        try { Directory.EnumerateFileSystemEntries(dir).Any(); return true; }
        catch (UnauthorizedAccessException) { return false; }
    }

    IEnumerable<string> List(string dir, bool directories)
    {
        if (!Directory.Exists(dir)) return [];
        try
        {
            var entries = directories ? Directory.GetDirectories(dir) : Directory.GetFiles(dir);
            // Read permission without execute lists the names, but nothing in the folder can be opened.
            if (entries.Length > 0 && CannotEnter(entries[0])) throw new UnauthorizedAccessException();
            return entries.Order(StringComparer.Ordinal).ToList();
        }
        catch (UnauthorizedAccessException)
        {
            if (unlistable.Add(dir))
                result.Quarantine(dir, CanList(dir) ? "permission denied: the folder can be listed but not entered (no execute permission), so nothing in it can be read"
                    : "permission denied: the folder cannot be listed", QuarantineKind.PermissionDenied);
            return [];
        }
        catch (IOException e)
        {
            if (unlistable.Add(dir)) result.Quarantine(dir, $"the folder cannot be listed: {e.Message}", QuarantineKind.Unreadable);
            return [];
        }
    }
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

    public static string Relative(string root, string path) => System.IO.Path.GetRelativePath(root, path).Replace('\\', '/');
}
