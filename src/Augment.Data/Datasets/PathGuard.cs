namespace Augment.Data.Datasets;

/// <summary>Keeps every dataset file inside the folders the spec names, after resolving symlinks.</summary>
public static class PathGuard
{
    /// <summary>Null when <paramref name="path"/> (with every symlink on the way resolved) lies under one of the
    /// roots; otherwise why not.</summary>
    public static string? Escapes(string path, IEnumerable<string> roots)
    {
        var rootList = roots.ToList();
        var lexical = Path.GetFullPath(path);
        if (!rootList.Any(r => Under(lexical, Path.GetFullPath(r)) || Under(lexical, RealPath(r))))
            return $"path escapes the dataset root ({string.Join(", ", rootList.Select(Path.GetFullPath))})";
        var real = RealPath(lexical);
        if (!rootList.Any(r => Under(real, RealPath(r))))
            return $"symlink points outside the dataset root (to {real})";
        return null;
    }

    /// <summary>True when <paramref name="path"/> lies under one of the roots but a symlink below that root leads
    /// to it: the file is reached through a link, not read where it lies.</summary>
    public static bool ThroughLink(string path, IEnumerable<string> roots)
    {
        var full = Path.GetFullPath(path);
        foreach (var r in roots)
        {
            var root = Path.GetFullPath(r);
            if (Under(full, root))
                return RealPath(full) != Path.GetFullPath(Path.Combine(RealPath(root), Path.GetRelativePath(root, full)));
        }
        return false;
    }

    /// <summary>The path with every symlink component resolved (components that do not exist are kept as they are).</summary>
    public static string RealPath(string path)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var next = Path.Combine(current, part);
            for (int hops = 0; hops < 40; hops++)
            {
                FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
                if (info.LinkTarget is not { } target) break;
                next = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, target));
            }
            current = next;
        }
        return current;
    }

    static bool Under(string path, string root) =>
        path == root.TrimEnd(Path.DirectorySeparatorChar)
        || path.StartsWith(root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
