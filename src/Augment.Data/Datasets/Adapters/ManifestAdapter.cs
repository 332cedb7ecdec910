using System.Text.Json;

namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// A CSV (header with path,label[,split][,video_id][,group]), a JSONL file of such objects, or a .json file holding one
/// array of them. Paths are relative to the dataset root; the loader refuses any that leave it. A bad row or line is
/// quarantined with its line number; the rest of the manifest is still read.
/// </summary>
static class ManifestAdapter
{
    sealed record Row(string Where, string? Path, string? Label, string? Split, string? VideoId, string? Group, string? Problem = null);

    public static AdapterResult Read(DatasetSpec spec)
    {
        var manifest = spec.Manifest ?? throw new ArgumentException($"dataset '{spec.Name}': the manifest adapter needs 'manifest' (a CSV or JSONL file)");
        if (!File.Exists(manifest)) throw new FileNotFoundException($"{manifest}: manifest not found", manifest);
        var result = new AdapterResult();
        if (!Directory.Exists(spec.Root))
            result.Warnings.Add(new($"{spec.Where("root")}: root {spec.Root} does not exist, and every manifest path is resolved against it", Fatal: true));
        var rows = manifest.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || manifest.EndsWith(".json", StringComparison.OrdinalIgnoreCase)
            ? JsonRows(manifest) : CsvRows(manifest);
        foreach (var row in rows)
        {
            if (row.Problem is not null) { result.Quarantine(row.Where, row.Problem, QuarantineKind.BadEntry); continue; }
            if (string.IsNullOrWhiteSpace(row.Path)) { result.Quarantine(row.Where, "row has no path", QuarantineKind.BadEntry); continue; }
            var path = row.Path.Trim();
            var full = Path.IsPathRooted(path) ? Path.GetFullPath(path) : Path.GetFullPath(Path.Combine(spec.Root, path));
            if (string.IsNullOrWhiteSpace(row.Label)) { result.Quarantine(full, $"unlabelled ({row.Where})", QuarantineKind.Unlabelled); continue; }
            string? split = null;
            if (!string.IsNullOrWhiteSpace(row.Split))
            {
                split = row.Split.Trim().ToLowerInvariant() switch
                {
                    "train" or "training" => Splits.Train,
                    "val" or "valid" or "validation" => Splits.Val,
                    "test" or "testing" => Splits.Test,
                    _ => null,
                };
                if (split is null) { result.Quarantine(full, $"unknown split '{row.Split}' ({row.Where}; expected train, val or test)", QuarantineKind.BadEntry); continue; }
            }
            var videoId = string.IsNullOrWhiteSpace(row.VideoId) ? path : row.VideoId.Trim();
            result.Entries.Add(new(full, row.Label.Trim(), split, videoId, string.IsNullOrWhiteSpace(row.Group) ? null : row.Group.Trim(), row.Where));
        }
        return result;
    }

    /// <summary>JSON lines, or (a file starting with '[') one JSON array of objects.</summary>
    static IEnumerable<Row> JsonRows(string file)
    {
        var text = File.ReadAllText(file);
        if (text.TrimStart().StartsWith('['))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(text); }
            catch (JsonException e) { throw new InvalidDataException($"{file}:{(e.LineNumber ?? 0) + 1}: not a valid JSON array: {e.Message}", e); }
            int index = 0;
            foreach (var item in doc.RootElement.EnumerateArray())
                yield return FromObject($"{file}#{++index}", item);
            yield break;
        }
        int line = 0;
        foreach (var content in text.Split('\n'))
        {
            line++;
            if (string.IsNullOrWhiteSpace(content)) continue;
            JsonElement item;
            string? problem = null;
            try { item = JsonDocument.Parse(content).RootElement; }
            catch (JsonException e) { item = default; problem = $"not a JSON object: {e.Message.Split(" Path:")[0]}"; }
            yield return problem is null ? FromObject($"{file}:{line}", item) : new Row($"{file}:{line}", null, null, null, null, null, problem);
        }
    }

    static Row FromObject(string where, JsonElement item)
    {
        if (item.ValueKind != JsonValueKind.Object) return new Row(where, null, null, null, null, null, $"expected a JSON object, found {item.ValueKind.ToString().ToLowerInvariant()}");
        string? Get(string key) => item.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null
            ? v.ValueKind == JsonValueKind.String ? v.GetString() : v.ToString() : null;
        return new Row(where, Get("path"), Get("label"), Get("split"), Get("video_id"), Get("group"));
    }

    static IEnumerable<Row> CsvRows(string file)
    {
        using var reader = new StreamReader(file);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{file}: empty manifest");
        char sep = header.Contains(';') && !header.Contains(',') ? ';' : ',';
        var cols = Csv.SplitLine(header, sep).Select(c => c.Trim().ToLowerInvariant()).ToList();
        int Col(string name) => cols.IndexOf(name);
        int path = Col("path"), label = Col("label"), split = Col("split"), video = Col("video_id"), group = Col("group");
        if (path < 0 || label < 0) throw new InvalidDataException($"{file}:1: header must name 'path' and 'label' columns (found: {header})");
        int line = 1;
        for (string? text; (text = reader.ReadLine()) != null;)
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var f = Csv.SplitLine(text, sep);
            string? At(int i) => i >= 0 && i < f.Count ? f[i] : null;
            yield return new Row($"{file}:{line}", At(path), At(label), At(split), At(video), At(group));
        }
    }
}
