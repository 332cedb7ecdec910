namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// SurgVisDom (EndoVis 2020): domain folders (VR, Porcine, …) holding class folders (Dissection, Knot_Tying,
/// Needle_Driving, in any case with _/-/space variants) holding .mp4 files or per-video folders of clips or frames.
/// The root may also be the archive's top level (train/{VR,Porcine}/…, test/…): folders that hold domain folders are
/// looked into. Domain → split is configurable (default VR → train+val, Porcine → test). Videos directly in a domain
/// folder take their label from a labels.csv beside them (file,label), else they are listed as unlabelled; label -1 is
/// unlabelled, with a count.
/// </summary>
static class SurgVisDomAdapter
{
    public static readonly IReadOnlyList<string> Labels = ["dissection", "knot-tying", "needle-driving"];

    public static readonly IReadOnlyDictionary<string, string> DefaultDomainSplits = new Dictionary<string, string>
    {
        ["vr"] = "train+val", ["train"] = "train+val", ["porcine"] = "test", ["test"] = "test",
    };

    static readonly string[] UnlabelledNames = ["1", "-1", "unlabelled", "unlabeled", "unknown"];

    public static AdapterResult Read(DatasetSpec spec)
    {
        if (!Directory.Exists(spec.Root)) throw new DirectoryNotFoundException($"{spec.Root}: dataset root not found");
        var result = new AdapterResult { Classes = Labels };
        var splits = spec.DomainSplits.Count > 0
            ? spec.DomainSplits.ToDictionary(kv => Layout.Normalise(kv.Key), kv => kv.Value.ToLowerInvariant())
            : DefaultDomainSplits.ToDictionary();
        var top = result.Tree.SubDirs(spec.Root);
        // root set one level too deep (train/VR): its folders are classes, not domains.
        var classFolders = top.Where(d => Labels.Contains(Layout.Normalise(Path.GetFileName(d)))).ToList();
        if (classFolders.Count > 0 && !top.Any(d => splits.ContainsKey(Layout.Normalise(Path.GetFileName(d))) || result.Tree.SubDirs(d).Any(s => IsDomain(s, splits))))
            throw spec.Error("root", $"{spec.Root} holds class folders ({string.Join(", ", classFolders.Select(Path.GetFileName))}), so it is one domain folder; " +
                                     $"root must be the folder that holds the domain folders (VR, Porcine), e.g. {Path.GetDirectoryName(Path.GetFullPath(spec.Root).TrimEnd('/'))}");
        foreach (var dir in top)
        {
            // train/VR, train/Porcine: the domain is the inner folder; a folder of class folders is a domain itself.
            var inner = result.Tree.SubDirs(dir).Where(d => IsDomain(d, splits)).ToList();
            if (inner.Count == 0) { ReadDomain(spec, dir, splits, result); continue; }
            foreach (var file in result.Tree.Files(dir).Where(Layout.IsVideo))
                result.Quarantine(file, $"video directly in '{Path.GetFileName(dir)}', outside any domain or class folder (unlabelled)", QuarantineKind.Unlabelled);
            foreach (var sub in result.Tree.SubDirs(dir))
            {
                if (inner.Contains(sub)) ReadDomain(spec, sub, splits, result);
                else result.Quarantine(sub, $"folder beside the domain folders of '{Path.GetFileName(dir)}' is not a domain (domain_splits knows: {string.Join(", ", splits.Keys)})", QuarantineKind.Unlabelled);
            }
        }
        return result;
    }

    // A domain folder holds class folders (or videos); a folder named like a known domain other than the split names counts too.
    static bool IsDomain(string dir, Dictionary<string, string> splits)
    {
        var name = Layout.Normalise(Path.GetFileName(dir));
        return splits.ContainsKey(name) && name is not ("train" or "test");
    }

    static void ReadDomain(DatasetSpec spec, string domainDir, Dictionary<string, string> splits, AdapterResult result)
    {
        var domain = Layout.Normalise(Path.GetFileName(domainDir));
        if (!splits.TryGetValue(domain, out var split))
        {
            result.Quarantine(domainDir, $"domain folder has no split (domain_splits knows: {string.Join(", ", splits.Keys)})", QuarantineKind.Unlabelled);
            return;
        }
        if (split == "skip") return;
        var (csv, labels) = ReadLabelsCsv(domainDir, result);
        var listed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in result.Tree.Files(domainDir))
        {
            if (Path.GetFileName(file).Equals("labels.csv", StringComparison.OrdinalIgnoreCase)) continue;
            listed.Add(Path.GetFileName(file));
            if (!Layout.IsVideo(file)) { result.Quarantine(file, $"not a video file ('{Path.GetExtension(file)}')", QuarantineKind.NotVideo); continue; }
            if (!labels.TryGetValue(Path.GetFileName(file), out var given))
                result.Quarantine(file, $"video directly in domain folder '{Path.GetFileName(domainDir)}' with no class folder and no labels.csv entry (unlabelled)", QuarantineKind.Unlabelled);
            else if (given.Conflict is { } conflict) result.Quarantine(file, conflict, QuarantineKind.LabelConflict);
            else Add(spec, file, Path.ChangeExtension(Layout.Relative(spec.Root, file), null), given.Label, split, result);
        }
        foreach (var (name, row) in labels.Where(kv => !listed.Contains(kv.Key)).OrderBy(kv => kv.Value.Line))
            result.Quarantine(Path.Combine(domainDir, name), $"listed in {csv}:{row.Line}, but there is no such file in {domainDir}", QuarantineKind.Missing);
        foreach (var classDir in result.Tree.SubDirs(domainDir))
            foreach (var (path, videoId) in Videos(spec.Root, classDir, result))
                Add(spec, path, videoId, Path.GetFileName(classDir), split, result);
    }

    static void Add(DatasetSpec spec, string path, string videoId, string givenLabel, string split, AdapterResult result)
    {
        var name = Layout.Normalise(givenLabel);
        if (UnlabelledNames.Contains(name))
            result.Quarantine(path, "unlabelled (label -1)", QuarantineKind.Unlabelled);
        else if (!Labels.Contains(name))
        {
            result.CountUnmapped(givenLabel);
            result.Quarantine(path, $"unknown label '{givenLabel}' (expected: Dissection, Knot_Tying, Needle_Driving)", QuarantineKind.UnknownLabel);
        }
        else result.Entries.Add(new(path, name, split, videoId));
    }

    sealed record CsvLabel(string Label, int Line, string? Conflict = null);

    /// <summary>file name → label from a labels.csv in the folder (header naming a file/path/video column and a
    /// label/class column). A name listed twice with the same label is a duplicate row; with two labels, neither is
    /// trusted and the video is not used.</summary>
    static (string? Csv, Dictionary<string, CsvLabel> Labels) ReadLabelsCsv(string dir, AdapterResult result)
    {
        var map = new Dictionary<string, CsvLabel>(StringComparer.OrdinalIgnoreCase);
        var csv = result.Tree.Files(dir).FirstOrDefault(f => Path.GetFileName(f).Equals("labels.csv", StringComparison.OrdinalIgnoreCase));
        if (csv is null) return (null, map);
        using var reader = new StreamReader(csv);
        var header = reader.ReadLine() ?? "";
        char sep = header.Contains(';') && !header.Contains(',') ? ';' : ',';
        var cols = Csv.SplitLine(header, sep).Select(c => c.Trim().ToLowerInvariant()).ToList();
        int file = cols.FindIndex(c => c is "file" or "filename" or "file-name" or "path" or "video" or "name");
        int label = cols.FindIndex(c => c is "label" or "class" or "category");
        if (file < 0 || label < 0)
        {
            result.Quarantine(csv, $"labels.csv header must name a file and a label column (found: {header})", QuarantineKind.BadEntry);
            return (csv, map);
        }
        int line = 1;
        for (string? text; (text = reader.ReadLine()) != null;)
        {
            line++;
            var f = Csv.SplitLine(text, sep);
            if (f.Count <= Math.Max(file, label) || string.IsNullOrWhiteSpace(f[file])) continue;
            var name = Path.GetFileName(f[file].Trim());
            var given = f[label].Trim();
            if (!map.TryGetValue(name, out var first)) { map[name] = new(given, line); continue; }
            if (Layout.Normalise(first.Label) == Layout.Normalise(given))
                result.Quarantine($"{csv}:{line}", $"'{name}' is listed twice (first at line {first.Line}) with the same label", QuarantineKind.Duplicate);
            else
            {
                var conflict = $"labels.csv gives two labels: '{first.Label}' at {csv}:{first.Line}, '{given}' at line {line}; not used";
                result.Quarantine($"{csv}:{line}", $"'{name}' is listed again with a conflicting label '{given}' (line {first.Line} says '{first.Label}')", QuarantineKind.LabelConflict);
                map[name] = first with { Conflict = first.Conflict ?? conflict };
            }
        }
        return (csv, map);
    }

    /// <summary>Video files in a class folder, and per-video folders holding clips (one video) or frames (one clip).</summary>
    static IEnumerable<(string Path, string VideoId)> Videos(string root, string classDir, AdapterResult result)
    {
        foreach (var file in result.Tree.Files(classDir))
        {
            if (Layout.IsVideo(file)) yield return (file, Path.ChangeExtension(Layout.Relative(root, file), null));
            else result.Quarantine(file, $"not a video file ('{Path.GetExtension(file)}')", QuarantineKind.NotVideo);
        }
        foreach (var videoDir in result.Tree.SubDirs(classDir))
        {
            var videoId = Layout.Relative(root, videoDir);
            var files = result.Tree.Files(videoDir, recursive: true);
            var clips = files.Where(Layout.IsVideo).ToList();
            if (clips.Count > 0)
                foreach (var clip in clips) yield return (clip, videoId);
            else if (files.Any(f => Layout.FrameExtensions.Contains(Path.GetExtension(f))))
                yield return (videoDir, videoId);
            else if (!result.Tree.Unlistable(videoDir)) result.Quarantine(videoDir, "folder holds neither video clips nor frames", QuarantineKind.NotVideo);
        }
    }
}
