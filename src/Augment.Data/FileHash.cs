using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Augment.Data;

/// <summary>
/// The one content hash of files: SHA-256 of the bytes (a folder of frames: of its file names and their hashes),
/// memoised per process by path, size and modification time. Checkpoints, manifests, configs and videos all use it.
/// </summary>
public static class FileHash
{
    static readonly ConcurrentDictionary<(string, long, long), string> Known = new();

    /// <summary>Lower-case hex SHA-256 of a file or a folder of frame files.</summary>
    public static string Sha256(string path)
    {
        if (Directory.Exists(path)) return FolderHash(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new FileNotFoundException($"{path}: file not found", path);
        return Known.GetOrAdd((info.FullName, info.Length, info.LastWriteTimeUtc.Ticks), _ =>
        {
            using var stream = info.OpenRead();
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        });
    }

    /// <summary>The hash of a file this process already computed (or was told by <see cref="Remember"/>), without reading it.</summary>
    public static bool TryGetKnown(FileInfo file, out string hash) =>
        Known.TryGetValue((file.FullName, file.Length, file.LastWriteTimeUtc.Ticks), out hash!);

    /// <summary>Records a hash read from a persistent memo (the clip cache's content-hashes.tsv) for this process.</summary>
    public static void Remember(FileInfo file, string hash) => Known[(file.FullName, file.Length, file.LastWriteTimeUtc.Ticks)] = hash;

    /// <summary>Lower-case hex SHA-256 of a text's UTF-8 bytes: what settings, file lists and combined hashes are named by.</summary>
    public static string OfText(string text) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>16 hex digits naming a file, or a combination of files (base + adapter): what manifests record.</summary>
    public static string Short(params string[] paths) => (paths.Length == 1 ? Sha256(paths[0])
        : OfText(string.Join("\n", paths.Select(Sha256))))[..16];

    // A frame folder's identity is its frame files' names and contents.
    static string FolderHash(string dir)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var f in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
            sb.Append(Path.GetFileName(f)).Append(':').Append(Sha256(f)).Append('\n');
        return OfText(sb.ToString());
    }
}
