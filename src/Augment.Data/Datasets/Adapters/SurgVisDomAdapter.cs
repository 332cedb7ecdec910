namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// SurgVisDom (EndoVis 2020): domain folders (VR, Porcine, …) holding class folders (Dissection, Knot_Tying,
/// Needle_Driving, in any case with _/-/space variants) holding .mp4 files or per-video folders of clips or frames.
/// Domain → split is configurable (default VR → train+val, Porcine → test). Label -1 / unlabelled folders are skipped
/// and counted.
/// </summary>
static class SurgVisDomAdapter
{
    public static readonly IReadOnlyList<string> Labels = ["dissection", "knot-tying", "needle-driving"];

    public static readonly IReadOnlyDictionary<string, string> DefaultDomainSplits = new Dictionary<string, string>
    {
        ["vr"] = "train+val", ["train"] = "train+val", ["porcine"] = "test", ["test"] = "test",
    };

    public static AdapterResult Read(DatasetSpec spec)
    {
        if (!Directory.Exists(spec.Root)) throw new DirectoryNotFoundException($"{spec.Root}: dataset root not found");
        var result = new AdapterResult { Classes = Labels };
        var splits = spec.DomainSplits.Count > 0
            ? spec.DomainSplits.ToDictionary(kv => Layout.Normalise(kv.Key), kv => kv.Value.ToLowerInvariant())
            : DefaultDomainSplits.ToDictionary();
        foreach (var domainDir in Layout.SubDirs(spec.Root))
        {
            var domain = Layout.Normalise(Path.GetFileName(domainDir));
            if (!splits.TryGetValue(domain, out var split))
            {
                result.Quarantined.Add(new(domainDir, $"domain folder has no split (domain_splits knows: {string.Join(", ", splits.Keys)})"));
                continue;
            }
            if (split == "skip") continue;
            foreach (var classDir in Layout.SubDirs(domainDir))
            {
                var name = Layout.Normalise(Path.GetFileName(classDir));
                string? label = Labels.Contains(name) ? name : null;
                foreach (var (path, videoId) in Videos(spec.Root, classDir, result))
                {
                    if (name is "1" or "-1" or "unlabelled" or "unlabeled" or "unknown")
                        result.Quarantined.Add(new(path, "unlabelled (label -1)"));
                    else if (label is null)
                    {
                        result.CountUnmapped(Path.GetFileName(classDir));
                        result.Quarantined.Add(new(path, $"unknown label '{Path.GetFileName(classDir)}' (expected: Dissection, Knot_Tying, Needle_Driving)"));
                    }
                    else result.Entries.Add(new(path, label, split, videoId));
                }
            }
        }
        return result;
    }

    /// <summary>Video files in a class folder, and per-video folders holding clips (one video) or frames (one clip).</summary>
    static IEnumerable<(string Path, string VideoId)> Videos(string root, string classDir, AdapterResult result)
    {
        foreach (var file in Layout.Files(classDir))
        {
            if (Layout.IsVideo(file)) yield return (file, Path.ChangeExtension(Layout.Relative(root, file), null));
            else result.Quarantined.Add(new(file, $"not a video file ('{Path.GetExtension(file)}')"));
        }
        foreach (var videoDir in Layout.SubDirs(classDir))
        {
            var videoId = Layout.Relative(root, videoDir);
            var files = Layout.Files(videoDir, SearchOption.AllDirectories).ToList();
            var clips = files.Where(Layout.IsVideo).ToList();
            if (clips.Count > 0)
                foreach (var clip in clips) yield return (clip, videoId);
            else if (files.Any(f => Layout.FrameExtensions.Contains(Path.GetExtension(f))))
                yield return (videoDir, videoId);
            else result.Quarantined.Add(new(videoDir, "folder holds neither video clips nor frames"));
        }
    }
}
