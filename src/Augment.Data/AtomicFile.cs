using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Augment.Data;

/// <summary>Writes that never leave a half-written file behind: write a temp file beside the target, then rename.</summary>
public static class AtomicFile
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        string? tmp = null;
        try
        {
            tmp = TempPath(path);
            using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
            {
                fs.Write(bytes);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed(path, tmp, e);
        }
    }

    /// <summary>
    /// A write that failed, as one IOException whose message names the target (not the temp file beside it) and
    /// the reason in words, so a verb can print it as one line; the half-written temp file is removed.
    /// </summary>
    static IOException Failed(string path, string? tmp, Exception e)
    {
        try { if (tmp is not null && File.Exists(tmp)) File.Delete(tmp); }
        catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
        if (e is WriteFailedException already) return already;
        var full = Path.GetFullPath(path);
        var why = e is UnauthorizedAccessException ? "permission denied" : tmp is null ? e.Message : e.Message.Replace(tmp, full);
        if (why.StartsWith(full + ": ", StringComparison.Ordinal)) why = why[(full.Length + 2)..];
        return new WriteFailedException($"{full}: cannot write: {why}", e);
    }

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Encoding.UTF8.GetBytes(text));

    public static void WriteJson<T>(string path, T value) => WriteAllText(path, JsonSerializer.Serialize(value, Json));

    public static T ReadJson<T>(string path) =>
        JsonSerializer.Deserialize<T>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty JSON");

    /// <summary>The record a finished step left (<see cref="ReadJson{T}"/>), or null when the file is not there.</summary>
    public static T? TryReadJson<T>(string path) where T : class => File.Exists(path) ? ReadJson<T>(path) : null;

    /// <summary>Lets a writer that needs a path (OpenCV, TorchSharp, ScottPlot) write atomically.</summary>
    public static void Write(string path, Action<string> writeTo)
    {
        string? tmp = null;
        try
        {
            tmp = TempPath(path);
            writeTo(tmp);
            File.Move(tmp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Failed(path, tmp, e);
        }
        finally
        {
            if (tmp is not null && File.Exists(tmp)) File.Delete(tmp);
        }
    }

    // Keeps the extension so writers that pick a format from it (OpenCV, ScottPlot) still do.
    static string TempPath(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return Path.Combine(Path.GetDirectoryName(full)!,
            $".{Path.GetFileNameWithoutExtension(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp{Path.GetExtension(full)}");
    }
}

/// <summary>A file that could not be written; the message is "path: cannot write: reason".</summary>
public sealed class WriteFailedException(string message, Exception inner) : IOException(message, inner);
