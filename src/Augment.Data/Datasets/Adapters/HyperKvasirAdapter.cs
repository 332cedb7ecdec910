namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// HyperKvasir labelled videos. Two label sources: the leaf class folder of
/// labeled-videos/{lower,upper}-gi-tract/&lt;category&gt;/&lt;class&gt;/&lt;file&gt;, and the metadata CSV's
/// <c>finding</c> (matched by file name anywhere under the root) through the finding → class mapping. When both label a
/// file and disagree, <c>label_source</c> (folder by default, or csv) decides, and every disagreement is reported.
/// Of two files with the same name, the one in a class folder is used.
/// </summary>
static class HyperKvasirAdapter
{
    public static AdapterResult Read(DatasetSpec spec, string mappingPath)
    {
        if (!Directory.Exists(spec.Root)) throw new DirectoryNotFoundException($"{spec.Root}: dataset root not found");
        if (!File.Exists(mappingPath)) throw new FileNotFoundException($"{mappingPath}: HyperKvasir finding mapping not found", mappingPath);
        var mapping = FindingMapping.Load(mappingPath);
        var result = new AdapterResult { Classes = mapping.Classes };

        var all = result.Tree.Files(spec.Root, recursive: true);
        var videos = all.Where(Layout.IsVideo).ToList();
        var csv = spec.Manifest ?? FindCsv(all);
        if (csv is null)
            result.Warnings.Add(new($"no metadata CSV (a .csv with a 'finding' column) under {spec.Root}: only class folders label videos; set 'manifest' to hyper-kvasir-video-metadata.csv", Fatal: false));
        var findings = ReadFindings(csv);
        var byName = videos.GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key!, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        var disagreements = new List<string>();
        var conflicts = new List<string>();
        var used = byName.Where(kv => kv.Value.Count > 1).ToDictionary(kv => kv.Key,
            kv => ChooseCopy(spec, mapping, kv.Value, findings.GetValueOrDefault(kv.Key), result, conflicts), StringComparer.OrdinalIgnoreCase);

        foreach (var file in videos)
        {
            var name = Path.GetFileName(file);
            var id = Path.GetFileNameWithoutExtension(file);
            if (used.TryGetValue(name, out var copy) && copy != file) continue;
            var folder = ClassFolder(file);
            string? folderClass = folder is null ? null : mapping.ClassOf(folder);
            bool folderExcluded = folder is not null && folderClass is null && mapping.IsExcluded(folder);
            findings.TryGetValue(name, out var finding);
            string? csvClass = finding is null ? null : mapping.ClassOf(finding);
            bool csvExcluded = finding is not null && csvClass is null && mapping.IsExcluded(finding);

            if (folderClass is not null && csvClass is not null && folderClass != csvClass)
            {
                var chosen = spec.LabelSource == "csv" ? csvClass : folderClass;
                disagreements.Add($"{Layout.Relative(spec.Root, file)}: folder '{folder}' → {folderClass}, CSV finding '{finding}' → {csvClass}; using {chosen}");
                result.Entries.Add(new(file, chosen, null, id));
                continue;
            }
            var label = spec.LabelSource == "csv" ? csvClass ?? folderClass : folderClass ?? csvClass;
            if (label is not null) { result.Entries.Add(new(file, label, null, id)); continue; }
            if (folderExcluded || csvExcluded)
            {
                result.Quarantine(file, folderExcluded ? $"class folder '{folder}' is excluded by the mapping" : $"finding '{finding}' is excluded by the mapping", QuarantineKind.Excluded);
                continue;
            }
            if (folder is null && finding is null)
            {
                result.Quarantine(file, "unlabelled: not under a class folder and not in the metadata CSV", QuarantineKind.Unlabelled);
                continue;
            }
            var unknown = finding ?? folder!;
            result.CountUnmapped(unknown);
            result.Quarantine(file, finding is not null ? $"finding '{finding}' maps to no class" : $"unknown label: class folder '{folder}' is not in the mapping", QuarantineKind.UnknownLabel);
        }
        if (conflicts.Count > 0)
            result.Warnings.Add(new($"{conflicts.Count} file name(s) are in class folders of different classes (label_source: {spec.LabelSource}): {string.Join("; ", conflicts)}", Fatal: false));
        if (disagreements.Count > 0)
            result.Warnings.Add(new($"class folder and metadata CSV disagree on {disagreements.Count} video(s) (label_source: {spec.LabelSource}): {string.Join("; ", disagreements)}", Fatal: false));
        foreach (var missing in findings.Keys.Where(n => !byName.ContainsKey(n)).Order(StringComparer.Ordinal))
            result.Missing.Add(missing);
        return result;
    }

    /// <summary>
    /// Which of several files with one name is used (null: none), every other copy quarantined with why. A symlink
    /// loses to the file it points at; a copy in a class folder wins over one outside; copies in class folders of
    /// different classes are a label conflict that label_source settles: csv picks the copy (else any) the CSV finding
    /// names; folder takes the CSV only as a tie-break between the folders, and without it uses none.
    /// </summary>
    static string? ChooseCopy(DatasetSpec spec, FindingMapping mapping, List<string> files, string? finding, AdapterResult result, List<string> conflicts)
    {
        string? ClassOf(string f) => ClassFolder(f) is { } folder ? mapping.ClassOf(folder) : null;
        var copies = files.OrderBy(f => PathGuard.ThroughLink(f, [spec.Root])).ThenBy(f => ClassFolder(f) is null).ThenBy(f => f, StringComparer.Ordinal).ToList();
        var first = copies[0];
        var distinct = new List<string> { first };
        foreach (var f in copies.Skip(1))
        {
            if (PathGuard.RealPath(f) != PathGuard.RealPath(first)) { distinct.Add(f); continue; }
            if (ClassOf(f) == ClassOf(first)) result.Quarantine(f, $"symlink to {first}, which is read at its real location", QuarantineKind.Duplicate);
            else result.Quarantine(f, $"symlink to {first}: labelled '{ClassOf(f)}' through the link but '{ClassOf(first)}' at its real location, whose label is used", QuarantineKind.LabelConflict);
        }
        var classes = distinct.Select(ClassOf).OfType<string>().Distinct().ToList();
        if (classes.Count <= 1)
        {
            foreach (var f in distinct.Skip(1))
                result.Quarantine(f, $"duplicate file name (using {first}{(ClassFolder(first) is not null ? ", which is in a class folder" : "")})", QuarantineKind.Duplicate);
            return first;
        }
        var csvClass = finding is null ? null : mapping.ClassOf(finding);
        var pick = csvClass is null ? null
            : distinct.FirstOrDefault(f => ClassOf(f) == csvClass) ?? (spec.LabelSource == "csv" ? distinct.First(f => ClassOf(f) is not null) : null);
        var where = string.Join(", ", distinct.Where(f => ClassOf(f) is not null).Select(f => $"{ClassFolder(f)} → {ClassOf(f)}"));
        conflicts.Add($"{Path.GetFileName(first)} ({where}): " + (pick is null ? "not used" : $"using {Layout.Relative(spec.Root, pick)}"));
        foreach (var f in distinct.Where(f => f != pick))
            result.Quarantine(f, pick is null
                ? $"label conflict: the same file name is in class folders of different classes ({where}) and {(csvClass is null ? "the metadata CSV does not name it" : $"the CSV finding '{finding}' → {csvClass} matches none of them")}; not used"
                : $"label conflict: the same file name is in class folders of different classes ({where}); {pick} is used, as the CSV finding '{finding}' → {csvClass} says (label_source: {spec.LabelSource})",
                QuarantineKind.LabelConflict);
        return pick;
    }

    /// <summary>The leaf folder of .../{lower,upper}-gi-tract/&lt;category&gt;/&lt;class&gt;/&lt;file&gt;, or null.</summary>
    static string? ClassFolder(string file)
    {
        var classDir = Path.GetDirectoryName(file);
        var tract = Path.GetDirectoryName(Path.GetDirectoryName(classDir));
        if (classDir is null || tract is null) return null;
        var tractName = Layout.Normalise(Path.GetFileName(tract));
        return tractName is "lower-gi-tract" or "upper-gi-tract" ? Path.GetFileName(classDir) : null;
    }

    static string? FindCsv(IEnumerable<string> files) =>
        files.Where(f => f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            .FirstOrDefault(f => File.ReadLines(f).FirstOrDefault()?.Contains("finding", StringComparison.OrdinalIgnoreCase) == true);

    /// <summary>file-name → finding from the semicolon-separated metadata CSV (header file-name;finding;...).</summary>
    static Dictionary<string, string> ReadFindings(string? csv)
    {
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (csv is null) return map;
        if (!File.Exists(csv)) throw new FileNotFoundException($"{csv}: HyperKvasir metadata CSV not found", csv);
        using var reader = new StreamReader(csv);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{csv}: empty metadata CSV");
        char sep = header.Contains(';') ? ';' : ',';
        var cols = Csv.SplitLine(header, sep).Select(c => c.Trim().ToLowerInvariant()).ToList();
        int name = cols.IndexOf("file-name"), finding = cols.IndexOf("finding");
        if (name < 0 || finding < 0) throw new InvalidDataException($"{csv}:1: header must have 'file-name' and 'finding' columns (found: {header})");
        for (string? line; (line = reader.ReadLine()) != null;)
        {
            var f = Csv.SplitLine(line, sep);
            if (f.Count <= Math.Max(name, finding) || string.IsNullOrWhiteSpace(f[name])) continue;
            map.TryAdd(f[name].Trim(), f[finding].Trim());
        }
        return map;
    }
}
