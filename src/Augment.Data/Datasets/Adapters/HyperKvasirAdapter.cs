namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// HyperKvasir labelled videos. Two label sources: the leaf class folder of
/// labeled-videos/{lower,upper}-gi-tract/&lt;category&gt;/&lt;class&gt;/&lt;file&gt;, and the metadata CSV's
/// <c>finding</c> (matched by file name anywhere under the root) through the finding → class mapping. A class folder
/// wins over the CSV when both label a file.
/// </summary>
static class HyperKvasirAdapter
{
    public static AdapterResult Read(DatasetSpec spec, string mappingPath)
    {
        if (!Directory.Exists(spec.Root)) throw new DirectoryNotFoundException($"{spec.Root}: dataset root not found");
        if (!File.Exists(mappingPath)) throw new FileNotFoundException($"{mappingPath}: HyperKvasir finding mapping not found", mappingPath);
        var mapping = FindingMapping.Load(mappingPath);
        var result = new AdapterResult { Classes = mapping.Classes };

        var videos = Layout.Files(spec.Root, SearchOption.AllDirectories).Where(Layout.IsVideo).ToList();
        var findings = ReadFindings(spec.Manifest ?? FindCsv(spec.Root));
        var byName = videos.GroupBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key!, g => g.ToList(), StringComparer.OrdinalIgnoreCase);

        foreach (var file in videos)
        {
            var id = Path.GetFileNameWithoutExtension(file);
            if (byName[Path.GetFileName(file)].Count > 1 && byName[Path.GetFileName(file)][0] != file)
            {
                result.Quarantined.Add(new(file, $"duplicate file name (first copy: {byName[Path.GetFileName(file)][0]})"));
                continue;
            }
            var folderClass = ClassFolder(file);
            if (folderClass is not null)
            {
                var cls = mapping.ClassOf(folderClass);
                if (cls is not null) { result.Entries.Add(new(file, cls, null, id)); continue; }
                if (mapping.IsExcluded(folderClass)) { result.Quarantined.Add(new(file, $"class folder '{folderClass}' is excluded by the mapping")); continue; }
                if (!findings.ContainsKey(Path.GetFileName(file)))
                {
                    result.CountUnmapped(folderClass);
                    result.Quarantined.Add(new(file, $"unknown label: class folder '{folderClass}' is not in the mapping"));
                    continue;
                }
            }
            if (!findings.TryGetValue(Path.GetFileName(file), out var finding))
            {
                result.Quarantined.Add(new(file, "unlabelled: not under a class folder and not in the metadata CSV"));
                continue;
            }
            if (mapping.IsExcluded(finding)) { result.Quarantined.Add(new(file, $"finding '{finding}' is excluded by the mapping")); continue; }
            var mapped = mapping.ClassOf(finding);
            if (mapped is null)
            {
                result.CountUnmapped(finding);
                result.Quarantined.Add(new(file, $"finding '{finding}' maps to no class"));
                continue;
            }
            result.Entries.Add(new(file, mapped, null, id));
        }
        foreach (var name in findings.Keys.Where(n => !byName.ContainsKey(n)).Order(StringComparer.Ordinal))
            result.Missing.Add(name);
        return result;
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

    static string? FindCsv(string root) =>
        Layout.Files(root, SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
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
