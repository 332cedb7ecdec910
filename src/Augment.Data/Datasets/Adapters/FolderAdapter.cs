namespace Augment.Data.Datasets.Adapters;

/// <summary>&lt;root&gt;/&lt;class&gt;/&lt;files&gt;, or &lt;root&gt;/{train,val,test}/&lt;class&gt;/&lt;files&gt; when split folders exist.</summary>
static class FolderAdapter
{
    static readonly Dictionary<string, string> SplitNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["train"] = Splits.Train, ["training"] = Splits.Train, ["val"] = Splits.Val, ["valid"] = Splits.Val,
        ["validation"] = Splits.Val, ["test"] = Splits.Test, ["testing"] = Splits.Test,
    };

    public static AdapterResult Read(DatasetSpec spec)
    {
        if (!Directory.Exists(spec.Root)) throw new DirectoryNotFoundException($"{spec.Root}: dataset root not found");
        var result = new AdapterResult();
        var top = Layout.SubDirs(spec.Root).ToList();
        bool splitLayout = top.Count > 0 && top.Any(d => SplitNames.ContainsKey(Path.GetFileName(d)));
        if (splitLayout)
        {
            foreach (var dir in top)
            {
                if (!SplitNames.TryGetValue(Path.GetFileName(dir), out var split))
                {
                    result.Quarantined.Add(new(dir, "folder beside the split folders is not a split (expected train/val/test)"));
                    continue;
                }
                ReadClasses(spec.Root, dir, split, result);
            }
        }
        else ReadClasses(spec.Root, spec.Root, null, result);
        return result;
    }

    static void ReadClasses(string root, string dir, string? split, AdapterResult result)
    {
        foreach (var file in Layout.Files(dir).Where(Layout.IsVideo))
            result.Quarantined.Add(new(file, "video outside any class folder (unlabelled)"));
        foreach (var classDir in Layout.SubDirs(dir))
        {
            var label = Path.GetFileName(classDir);
            foreach (var file in Layout.Files(classDir, SearchOption.AllDirectories))
            {
                if (!Layout.IsVideo(file))
                {
                    result.Quarantined.Add(new(file, $"not a video file ('{Path.GetExtension(file)}')"));
                    continue;
                }
                var rel = Layout.Relative(root, file);
                result.Entries.Add(new(file, label, split, Path.ChangeExtension(rel, null)));
            }
        }
    }
}
