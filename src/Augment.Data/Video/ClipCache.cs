using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Augment.Data.Video;

/// <summary>Decoded clips on disk, keyed by (file content hash, window, clip spec), so a sweep decodes each video once.</summary>
/// <remarks>
/// An entry is a small header (magic, frames, height, width), the RGB bytes, and a SHA-256 of those bytes; an entry
/// that is truncated or does not match its checksum is decoded again and rewritten. Safe for parallel readers: entries
/// are written atomically and one key is decoded by one thread at a time.
/// </remarks>
public sealed class ClipCache
{
    const string Magic = "AUGCLIP1";
    const int HeaderBytes = 8 + 3 * 4, ChecksumBytes = 32;

    // Hashing a file is paid once per process (FileHash), and through the cache folder's content-hashes.tsv once for
    // every process sharing the cache (sweep workers, array tasks, status refreshes).
    readonly Lazy<Dictionary<(string, long, long), string>> _remembered;
    readonly ConcurrentDictionary<string, object> _keyLocks = new();
    int _decodes;

    public ClipCache(string directory)
    {
        Directory = directory;
        _remembered = new(ReadHashMemo);
    }

    public string Directory { get; }

    string HashMemoPath => Path.Combine(Directory, "content-hashes.tsv");

    /// <summary>How many clips this cache had to decode from video (not served from disk).</summary>
    public int Decodes => Volatile.Read(ref _decodes);

    public Clip Get(ClipRef clip, ClipSpec spec)
    {
        var entry = EntryPath(clip, spec);
        lock (_keyLocks.GetOrAdd(entry, _ => new object()))
        {
            if (TryLoad(entry, spec) is { } cached) return cached;
            var decoded = VideoIO.Read(clip.Path, spec, clip.StartFrame, clip.FrameCount);
            Interlocked.Increment(ref _decodes);
            Save(entry, decoded);
            return decoded;
        }
    }

    /// <summary>The file holding a clip's decoded frames (whether or not it exists yet).</summary>
    public string EntryPath(ClipRef clip, ClipSpec spec)
    {
        var hash = HashOf(clip.Path);
        return Path.Combine(Directory, hash[..2], $"{hash}-{clip.StartFrame}-{clip.FrameCount}-{spec.Key}.clip");
    }

    /// <summary>The video's <see cref="FileHash.Sha256"/>, remembered in this cache's folder by path, size and modification time.</summary>
    public string HashOf(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || path.AsSpan().IndexOfAny('\t', '\n') >= 0) return VideoHash(path);
        if (FileHash.TryGetKnown(info, out var known)) return known;
        var key = (info.FullName, info.Length, info.LastWriteTimeUtc.Ticks);
        if (_remembered.Value.TryGetValue(key, out var remembered))
        {
            FileHash.Remember(info, remembered);
            return remembered;
        }
        var hash = VideoHash(path);
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            // One short line per append: concurrent writers interleave whole lines, and a torn one is skipped on reading.
            File.AppendAllText(HashMemoPath, $"{info.Length}\t{info.LastWriteTimeUtc.Ticks}\t{hash}\t{info.FullName}\n");
        }
        catch (IOException) { } // the memo only saves time
        catch (UnauthorizedAccessException) { }
        return hash;
    }

    Dictionary<(string, long, long), string> ReadHashMemo()
    {
        var memo = new Dictionary<(string, long, long), string>();
        if (!File.Exists(HashMemoPath)) return memo;
        foreach (var line in File.ReadLines(HashMemoPath))
            if (line.Split('\t') is [var size, var ticks, var hash, var path] && long.TryParse(size, out var s) && long.TryParse(ticks, out var t)
                && hash.Length == 64 && hash.All(char.IsAsciiHexDigitLower))
                memo[(path, s, t)] = hash;
        return memo;
    }

    // A video that is not there is a problem of the video (quarantined by the caller), not of the program.
    static string VideoHash(string path)
    {
        try { return FileHash.Sha256(path); }
        catch (FileNotFoundException) { throw new VideoReadException(path, "file not found"); }
    }

    static Clip? TryLoad(string entry, ClipSpec spec)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(entry); }
        catch (FileNotFoundException) { return null; }
        catch (DirectoryNotFoundException) { return null; }
        int pixelBytes = spec.Frames * spec.Height * spec.Width * 3;
        if (bytes.Length != HeaderBytes + pixelBytes + ChecksumBytes) return null;
        if (System.Text.Encoding.ASCII.GetString(bytes, 0, 8) != Magic) return null;
        var span = bytes.AsSpan();
        int frames = BinaryPrimitives.ReadInt32LittleEndian(span[8..]);
        int height = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        int width = BinaryPrimitives.ReadInt32LittleEndian(span[16..]);
        if (frames != spec.Frames || height != spec.Height || width != spec.Width) return null;
        var pixels = span.Slice(HeaderBytes, pixelBytes);
        if (!SHA256.HashData(pixels).AsSpan().SequenceEqual(span.Slice(HeaderBytes + pixelBytes, ChecksumBytes))) return null;
        return new Clip(pixels.ToArray(), frames, height, width);
    }

    static void Save(string entry, Clip clip)
    {
        var bytes = new byte[HeaderBytes + clip.Pixels.Length + ChecksumBytes];
        var span = bytes.AsSpan();
        System.Text.Encoding.ASCII.GetBytes(Magic, span);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], clip.Frames);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], clip.Height);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], clip.Width);
        clip.Pixels.CopyTo(span[HeaderBytes..]);
        SHA256.HashData(clip.Pixels, span[(HeaderBytes + clip.Pixels.Length)..]);
        AtomicFile.WriteAllBytes(entry, bytes);
    }
}
