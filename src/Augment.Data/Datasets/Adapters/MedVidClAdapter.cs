using System.Text.Json;

namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// MedVidCL: train.json / val.json / test.json, each a JSON array of {video_id, video_link, video_title, label};
/// videos downloaded to &lt;video_dir&gt;/&lt;video_id&gt;.&lt;ext&gt;. Absent videos are listed, not fatal.
/// </summary>
static class MedVidClAdapter
{
    public static readonly IReadOnlyList<string> Labels = ["Medical Instructional", "Medical Non-instructional", "Non-medical"];

    public static AdapterResult Read(DatasetSpec spec)
    {
        var result = new AdapterResult { Classes = Labels };
        var videoDir = spec.VideoDir ?? Path.Combine(spec.Root, "videos");
        var byId = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Layout.Files(videoDir))
        {
            var id = Path.GetFileNameWithoutExtension(file);
            // Prefer a real video container when a download left several files (e.g. .part, .json beside .mp4).
            if (!byId.TryGetValue(id, out var existing) || (!Layout.IsVideo(existing) && Layout.IsVideo(file))) byId[id] = file;
        }
        var annotationFiles = new[] { Splits.Train, Splits.Val, Splits.Test }.Select(s => (Split: s, File: Path.Combine(spec.Root, $"{s}.json"))).ToList();
        if (!annotationFiles.Any(a => File.Exists(a.File)))
            throw new FileNotFoundException($"{spec.Root}: no MedVidCL annotation file (train.json, val.json or test.json)");

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (split, file) in annotationFiles.Where(a => File.Exists(a.File)))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(File.ReadAllText(file)); }
            catch (JsonException e) { throw new InvalidDataException($"{file}: not valid JSON: {e.Message}", e); }
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{file}: expected a JSON array of videos");
            int index = 0;
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                index++;
                string? Get(string key) => item.ValueKind == JsonValueKind.Object && item.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
                var id = Get("video_id");
                var label = Get("label");
                var where = $"{file}#{index}";
                if (string.IsNullOrWhiteSpace(id)) { result.Quarantined.Add(new(where, "entry has no video_id")); continue; }
                where = $"{file}#{index} ({id})";
                if (string.IsNullOrWhiteSpace(label)) { result.Quarantined.Add(new(where, "unlabelled entry")); continue; }
                if (!Labels.Contains(label))
                {
                    result.CountUnmapped(label);
                    result.Quarantined.Add(new(where, $"unknown label '{label}' (expected: {string.Join(", ", Labels)})"));
                    continue;
                }
                if (seen.TryGetValue(id, out var first)) { result.Quarantined.Add(new(where, $"duplicate video_id (first listed in {first})")); continue; }
                seen[id] = Path.GetFileName(file);
                if (!byId.TryGetValue(id, out var path)) { result.Missing.Add($"{split}/{id}"); continue; }
                result.Entries.Add(new(path, label, split, id));
            }
        }
        return result;
    }
}
