using System.Text.RegularExpressions;

namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// &lt;root&gt;/&lt;class&gt;/&lt;files&gt;, or &lt;root&gt;/{train,val,test}/&lt;class&gt;/&lt;files&gt; when split folders
/// exist. Files below a subfolder of their class folder (&lt;class&gt;/&lt;patient&gt;/clip.mp4) form one group, kept
/// in one split, unless group_by says otherwise (file: every file alone; a regex: its first capture on the file name).
/// </summary>
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
        var top = result.Tree.SubDirs(spec.Root);
        bool splitLayout = top.Count > 0 && top.Any(d => SplitNames.ContainsKey(Path.GetFileName(d)));
        if (splitLayout)
        {
            foreach (var dir in top)
            {
                if (!SplitNames.TryGetValue(Path.GetFileName(dir), out var split))
                {
                    result.Quarantine(dir, "folder beside the split folders is not a split (expected train/val/test)", QuarantineKind.Unlabelled);
                    continue;
                }
                ReadClasses(spec, dir, split, result);
            }
        }
        else ReadClasses(spec, spec.Root, null, result);
        return result;
    }

    static void ReadClasses(DatasetSpec spec, string dir, string? split, AdapterResult result)
    {
        foreach (var file in result.Tree.Files(dir).Where(Layout.IsVideo))
            result.Quarantine(file, "video outside any class folder (unlabelled)", QuarantineKind.Unlabelled);
        var pattern = spec.GroupBy is null or "folder" or "file" ? null : new Regex(spec.GroupBy);
        foreach (var classDir in result.Tree.SubDirs(dir))
        {
            var label = Path.GetFileName(classDir);
            foreach (var file in result.Tree.Files(classDir, recursive: true))
            {
                if (!Layout.IsVideo(file))
                {
                    result.Quarantine(file, $"not a video file ('{Path.GetExtension(file)}')", QuarantineKind.NotVideo);
                    continue;
                }
                var rel = Layout.Relative(spec.Root, file);
                result.Entries.Add(new(file, label, split, Path.ChangeExtension(rel, null), Group(spec, pattern, classDir, file)));
            }
        }
    }

    /// <summary>The group a file belongs to (null: its own). Group names ignore the class, so one patient's folders
    /// under two classes are still one group.</summary>
    static string? Group(DatasetSpec spec, Regex? pattern, string classDir, string file)
    {
        if (spec.GroupBy == "file") return null;
        if (pattern is not null)
        {
            var m = pattern.Match(Path.GetFileName(file));
            return !m.Success ? null : m.Groups.Count > 1 ? m.Groups[1].Value : m.Value;
        }
        var parts = Layout.Relative(classDir, file).Split('/');
        return parts.Length > 1 ? parts[0] : null;
    }
}
