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
        if (!Directory.Exists(videoDir))
            result.Warnings.Add(new($"{spec.Where(spec.VideoDir is null ? "root" : "video_dir")}: video_dir {videoDir} does not exist, so every video counts as missing", Fatal: true));
        // Only real video containers count: a thumbnail or description beside an absent download is not the video.
        var byId = new Dictionary<string, string>(StringComparer.Ordinal);
        var otherFiles = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var file in result.Tree.Files(videoDir))
        {
            var id = Path.GetFileNameWithoutExtension(file);
            if (Layout.IsVideo(file))
            {
                if (!byId.TryAdd(id, file))
                    result.Quarantine(file, $"a second download of video_id '{id}': {Path.GetFileName(byId[id])} is used", QuarantineKind.Duplicate);
            }
            else (otherFiles.TryGetValue(id, out var list) ? list : otherFiles[id] = []).Add(Path.GetFileName(file));
        }
        var annotationFiles = new[] { Splits.Train, Splits.Val, Splits.Test }.Select(s => (Split: s, File: Path.Combine(spec.Root, $"{s}.json"))).ToList();
        if (!annotationFiles.Any(a => File.Exists(a.File)))
            throw new FileNotFoundException($"{spec.Root}: no MedVidCL annotation file (train.json, val.json or test.json)");

        var seen = new Dictionary<string, (string File, string Label)>(StringComparer.Ordinal);
        // Every id an annotation file names, usable or not: a video whose row has a bad label is annotated, just badly.
        var annotated = new HashSet<string>(StringComparer.Ordinal);
        var notVideos = new List<string>();
        foreach (var (split, file) in annotationFiles.Where(a => File.Exists(a.File)))
        {
            JsonDocument doc;
            try { doc = JsonDocument.Parse(File.ReadAllText(file)); }
            catch (JsonException e) { throw new InvalidDataException($"{file}:{(e.LineNumber ?? 0) + 1}: not valid JSON: {e.Message.Split(" Path:")[0]}", e); }
            if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"{file}: expected a JSON array of videos");
            int index = 0;
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                index++;
                // A numeric id is still an id.
                string? Get(string key) => item.ValueKind == JsonValueKind.Object && item.TryGetProperty(key, out var v)
                    ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Number => v.GetRawText(), _ => null } : null;
                var id = Get("video_id");
                var label = Get("label");
                var where = $"{file}#{index}";
                if (string.IsNullOrWhiteSpace(id)) { result.Quarantine(where, "entry has no video_id", QuarantineKind.BadEntry); continue; }
                where = $"{file}#{index} ({id})";
                annotated.Add(id);
                if (string.IsNullOrWhiteSpace(label)) { result.Quarantine(where, "unlabelled entry", QuarantineKind.Unlabelled); continue; }
                if (!Labels.Contains(label))
                {
                    result.CountUnmapped(label);
                    result.Quarantine(where, $"unknown label '{label}' (expected: {string.Join(", ", Labels)})", QuarantineKind.UnknownLabel);
                    continue;
                }
                if (seen.TryGetValue(id, out var first))
                {
                    if (first.Label == label) result.Quarantine(where, $"duplicate video_id (first listed in {first.File})", QuarantineKind.Duplicate);
                    else result.Quarantine(where, $"duplicate video_id with a conflicting label: '{label}' here, '{first.Label}' in {first.File}", QuarantineKind.LabelConflict);
                    continue;
                }
                seen[id] = (Path.GetFileName(file), label);
                if (!byId.TryGetValue(id, out var path))
                {
                    result.Missing.Add($"{split}/{id}");
                    if (otherFiles.TryGetValue(id, out var others)) notVideos.Add($"{id} ({string.Join(", ", others)})");
                    continue;
                }
                result.Entries.Add(new(path, label, split, id));
            }
        }
        if (notVideos.Count > 0)
            result.Warnings.Add(new($"{notVideos.Count} missing video(s) have only non-video files in {videoDir}, e.g. {notVideos[0]}: thumbnails or metadata, not the download", Fatal: false));
        foreach (var (id, path) in byId.Where(kv => !annotated.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            result.Quarantine(path, "video in video_dir is in no annotation file (train/val/test.json)", QuarantineKind.NotAnnotated);
        return result;
    }
}
