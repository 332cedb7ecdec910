using System.Text.Json;

namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// A CSV (header with path,label[,split][,video_id]) or JSONL ({"path","label","split","video_id"}) file. Paths are
/// relative to the dataset root; the loader refuses any that leave it.
/// </summary>
static class ManifestAdapter
{
    public static AdapterResult Read(DatasetSpec spec)
    {
        var manifest = spec.Manifest ?? throw new ArgumentException($"dataset '{spec.Name}': the manifest adapter needs 'manifest' (a CSV or JSONL file)");
        if (!File.Exists(manifest)) throw new FileNotFoundException($"{manifest}: manifest not found", manifest);
        var result = new AdapterResult();
        var rows = manifest.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || manifest.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? JsonLines(manifest) : CsvRows(manifest);
        foreach (var (line, path, label, split, videoId) in rows)
        {
            var where = $"{manifest}:{line}";
            if (string.IsNullOrWhiteSpace(path)) { result.Quarantined.Add(new(where, "row has no path")); continue; }
            var full = Path.IsPathRooted(path) ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(spec.Root, path));
            if (string.IsNullOrWhiteSpace(label)) { result.Quarantined.Add(new(full, $"unlabelled (manifest line {line})")); continue; }
            string? normalisedSplit = null;
            if (!string.IsNullOrWhiteSpace(split))
            {
                normalisedSplit = split.Trim().ToLowerInvariant() switch
                {
                    "train" or "training" => Splits.Train,
                    "val" or "valid" or "validation" => Splits.Val,
                    "test" or "testing" => Splits.Test,
                    _ => "?",
                };
                if (normalisedSplit == "?") { result.Quarantined.Add(new(full, $"unknown split '{split}' (manifest line {line})")); continue; }
            }
            result.Entries.Add(new(full, label.Trim(), normalisedSplit, string.IsNullOrWhiteSpace(videoId) ? path.Trim() : videoId.Trim()));
        }
        return result;
    }

    static IEnumerable<(int Line, string? Path, string? Label, string? Split, string? VideoId)> JsonLines(string file)
    {
        int line = 0;
        foreach (var text in File.ReadLines(file))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonElement row;
            try { row = JsonDocument.Parse(text).RootElement; }
            catch (JsonException e) { throw new InvalidDataException($"{file}:{line}: not a JSON object: {e.Message}", e); }
            string? Get(string key) => row.ValueKind == JsonValueKind.Object && row.TryGetProperty(key, out var v)
                ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;
            yield return (line, Get("path"), Get("label"), Get("split"), Get("video_id"));
        }
    }

    static IEnumerable<(int Line, string? Path, string? Label, string? Split, string? VideoId)> CsvRows(string file)
    {
        using var reader = new StreamReader(file);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{file}: empty manifest");
        char sep = header.Contains(';') && !header.Contains(',') ? ';' : ',';
        var cols = Csv.SplitLine(header, sep).Select(c => c.Trim().ToLowerInvariant()).ToList();
        int Col(string name) => cols.IndexOf(name);
        int path = Col("path"), label = Col("label"), split = Col("split"), video = Col("video_id");
        if (path < 0 || label < 0) throw new InvalidDataException($"{file}:1: header must name 'path' and 'label' columns (found: {header})");
        int line = 1;
        for (string? text; (text = reader.ReadLine()) != null;)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var f = Csv.SplitLine(text, sep);
            string? At(int i) => i >= 0 && i < f.Count ? f[i] : null;
            yield return (line, At(path), At(label), At(split), At(video));
        }
    }
}
