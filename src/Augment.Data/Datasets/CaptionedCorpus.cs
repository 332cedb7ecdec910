using System.Text.Json;

namespace Augment.Data.Datasets;

/// <summary>One clip of a captioned corpus: a video file and the free text describing what it shows.</summary>
public sealed record CorpusClip(string Path, string Caption);

/// <summary>
/// A set of videos with free-text captions, for adapting a generator on knowledge the downstream datasets lack (the
/// MedGen recipe: a LoRA trained on a large captioned medical corpus, not on the classification data). Read from a
/// captions file beside (or above) the videos:
/// <list type="bullet">
/// <item>CSV <c>path,caption</c> (.csv; a first row starting with "path" is a header; quote captions holding commas);</item>
/// <item>JSON lines (.jsonl) or one JSON array (.json) of objects with a path and a caption field, whose names are
/// settable (default "path" and "caption"), so an annotation file with other field names is read as it is.</item>
/// </list>
/// Paths are relative to the captions file's folder (absolute paths are taken as they are); every listed video must
/// exist and every caption must be non-empty, else a clear error names the file, the line (the item number in a JSON
/// array) and the problem.
/// </summary>
public sealed record CaptionedCorpus(string Name, string CaptionsFile, IReadOnlyList<CorpusClip> Clips)
{
    public const string DefaultPathField = "path", DefaultCaptionField = "caption";

    public static CaptionedCorpus Load(string name, string captionsFile, string pathField = DefaultPathField, string captionField = DefaultCaptionField)
    {
        var file = System.IO.Path.GetFullPath(captionsFile);
        if (!File.Exists(file)) throw new FileNotFoundException($"{captionsFile}: corpus {name}'s captions file does not exist", file);
        var ext = System.IO.Path.GetExtension(file).ToLowerInvariant();
        var rows = ext switch
        {
            ".csv" => ReadCsv(file),
            ".jsonl" or ".json" => ReadJson(file, pathField, captionField),
            _ => throw new InvalidDataException($"{file}: a corpus captions file must be .csv (path,caption), .jsonl or .json, not '{ext}'"),
        };
        var folder = System.IO.Path.GetDirectoryName(file)!;
        var clips = new List<CorpusClip>(rows.Count);
        foreach (var (path, caption, line) in rows)
        {
            string where = $"{file}:{line}";
            if (string.IsNullOrWhiteSpace(path)) throw new InvalidDataException($"{where}: the clip has no path");
            if (string.IsNullOrWhiteSpace(caption)) throw new InvalidDataException($"{where}: '{path}' has an empty caption");
            var full = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, path.Trim()));
            if (!File.Exists(full)) throw new InvalidDataException($"{where}: '{path}' does not exist ({full})");
            clips.Add(new CorpusClip(full, caption.Trim()));
        }
        if (clips.Count == 0) throw new InvalidDataException($"{file}: corpus {name} lists no clips");
        return new CaptionedCorpus(name, file, clips);
    }

    static List<(string Path, string Caption, int Line)> ReadCsv(string file)
    {
        var rows = new List<(string, string, int)>();
        int line = 0;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var fields = Csv.SplitLine(text);
            if (rows.Count == 0 && line == FirstLine(file) && fields[0].Trim().Equals("path", StringComparison.OrdinalIgnoreCase)) continue;
            if (fields.Count != 2) throw new InvalidDataException($"{file}:{line}: expected path,caption (2 fields; quote a caption that holds commas), got {fields.Count}");
            rows.Add((fields[0], fields[1], line));
        }
        return rows;
    }

    static int FirstLine(string file) => File.ReadLines(file).TakeWhile(string.IsNullOrWhiteSpace).Count() + 1;

    static List<(string Path, string Caption, int Line)> ReadJson(string file, string pathField, string captionField)
    {
        var rows = new List<(string, string, int)>();
        // line: the line of a JSON-lines file, or the item number (from 1) in an array.
        (string, string, int) Row(JsonElement e, int line)
        {
            if (e.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{file}:{line}: expected an object with '{pathField}' and '{captionField}'");
            string Field(string key) => e.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!
                : throw new InvalidDataException($"{file}:{line}: no string field '{key}' (fields: {string.Join(", ", e.EnumerateObject().Select(p => p.Name))})");
            return (Field(pathField), Field(captionField), line);
        }
        var text = File.ReadAllText(file);
        if (text.TrimStart().StartsWith('['))
        {
            try
            {
                using var doc = JsonDocument.Parse(text);
                int i = 0;
                foreach (var e in doc.RootElement.EnumerateArray()) rows.Add(Row(e, ++i));
            }
            catch (JsonException e) { throw new InvalidDataException($"{file}: not a JSON array of clips: {e.Message}", e); }
            return rows;
        }
        int line = 0;
        foreach (var l in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(l)) continue;
            try
            {
                using var doc = JsonDocument.Parse(l);
                rows.Add(Row(doc.RootElement, line));
            }
            catch (JsonException e) { throw new InvalidDataException($"{file}:{line}: not a JSON object: {e.Message}", e); }
        }
        return rows;
    }
}
