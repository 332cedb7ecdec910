using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Augment.Data.Datasets;

/// <summary>A dataset spec that cannot be used; the message names the file, line and key.</summary>
public sealed class DatasetSpecException(string source, int line, string key, string problem)
    : Exception(line > 0 ? $"{source}:{line}: {key}: {problem}" : $"{source}: {key}: {problem}")
{
    public string SpecFile { get; } = source;
    public int Line { get; } = line;
    public string Key { get; } = key;
}

/// <summary>
/// Reads and writes dataset specs as YAML: keys name, adapter, root, video_dir, manifest, mapping, prompts,
/// keep {class: n}, val_fraction, test_fraction, clips_per_video, window_frames, domain_splits {domain: split}, seed.
/// Relative paths are resolved against the YAML file's folder.
/// </summary>
public static class DatasetSpecYaml
{
    public static IReadOnlyList<string> Adapters => global::Augment.Data.Datasets.Adapters.DatasetAdapters.Names;
    public static readonly IReadOnlyList<string> DomainSplitValues = ["train+val", "train", "val", "test", "skip"];

    /// <summary>Every key a spec takes: the properties of <see cref="DatasetSpec"/>, snake_case, in declaration order.</summary>
    public static readonly IReadOnlyList<string> Keys = typeof(DatasetSpec).GetProperties()
        .Where(p => !p.IsDefined(typeof(NotASpecKeyAttribute), false))
        .Select(p => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name)).ToList();

    /// <summary>A file holding one spec mapping.</summary>
    public static DatasetSpec Load(string path)
    {
        if (!File.Exists(path)) throw new DatasetSpecException(path, 0, "file", "not found");
        YamlStream stream;
        try { stream = YamlFile.Load(path); }
        catch (YamlFileException e) { throw new DatasetSpecException(path, (int)e.Line, "yaml", e.Problem); }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new DatasetSpecException(path, 1, "document", "expected a mapping of dataset keys");
        return FromNode(map, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
    }

    /// <summary>
    /// One spec mapping from a larger file (e.g. a dataset entry of experiments.yaml). Keys in
    /// <paramref name="callerKeys"/> belong to the caller and are ignored here; any other unknown key is an error.
    /// </summary>
    public static DatasetSpec FromNode(YamlMappingNode node, string baseDir, string sourceName,
        IReadOnlySet<string>? callerKeys = null)
    {
        var values = new Dictionary<string, (YamlNode Node, int Line)>();
        foreach (var (k, v) in node.Children)
        {
            var key = KeyText(k, sourceName);
            int line = (int)k.Start.Line;
            if (callerKeys?.Contains(key) == true) continue;
            if (!Keys.Contains(key))
                throw new DatasetSpecException(sourceName, line, key, $"unknown key (expected one of: {string.Join(", ", Keys)})");
            values[key] = (v, line);
        }
        int nodeLine = (int)node.Start.Line;

        string Required(string key)
        {
            if (!values.TryGetValue(key, out var v)) throw new DatasetSpecException(sourceName, nodeLine, key, "required key is missing");
            var text = Scalar(v.Node, key, v.Line, sourceName);
            return string.IsNullOrWhiteSpace(text) ? throw new DatasetSpecException(sourceName, v.Line, key, "is empty") : text;
        }
        string? Optional(string key) => values.TryGetValue(key, out var v) ? Scalar(v.Node, key, v.Line, sourceName) : null;
        string? OptionalPath(string key) => Optional(key) is { } p ? Path.GetFullPath(Path.Combine(baseDir, p)) : null;
        T Number<T>(string key, T fallback, Func<T, bool> valid, string rule) where T : ISpanParsable<T>
        {
            if (!values.TryGetValue(key, out var v)) return fallback;
            var text = Scalar(v.Node, key, v.Line, sourceName);
            if (!T.TryParse(text, CultureInfo.InvariantCulture, out var n) || !valid(n))
                throw new DatasetSpecException(sourceName, v.Line, key, $"'{text}' is not {rule}");
            return n;
        }

        var name = Required("name");
        var adapter = Required("adapter").ToLowerInvariant();
        if (!Adapters.Contains(adapter))
            throw new DatasetSpecException(sourceName, values["adapter"].Line, "adapter", $"'{adapter}' is not one of {string.Join(", ", Adapters)}");
        var root = Path.GetFullPath(Path.Combine(baseDir, Required("root")));

        var lines = values.ToDictionary(kv => kv.Key, kv => kv.Value.Line);
        var keep = new Dictionary<string, int>();
        foreach (var (cls, text, line) in Pairs(values, "keep", sourceName))
        {
            if (!int.TryParse(text, CultureInfo.InvariantCulture, out var n) || n < 0)
                throw new DatasetSpecException(sourceName, line, $"keep.{cls}", $"'{text}' is not a clip count >= 0");
            keep[cls] = n;
            lines[$"keep.{cls}"] = line;
        }
        var labelSource = Optional("label_source")?.ToLowerInvariant() ?? "folder";
        if (labelSource is not ("folder" or "csv"))
            throw new DatasetSpecException(sourceName, values["label_source"].Line, "label_source", $"'{labelSource}' is not folder or csv");
        var groupBy = Optional("group_by");
        if (groupBy is not (null or "folder" or "file"))
        {
            try { _ = new System.Text.RegularExpressions.Regex(groupBy); }
            catch (ArgumentException e) { throw new DatasetSpecException(sourceName, values["group_by"].Line, "group_by", $"neither folder, file nor a valid regex: {e.Message}"); }
        }
        var domains = new Dictionary<string, string>();
        foreach (var (domain, split, line) in Pairs(values, "domain_splits", sourceName))
        {
            if (!DomainSplitValues.Contains(split.ToLowerInvariant()))
                throw new DatasetSpecException(sourceName, line, $"domain_splits.{domain}", $"'{split}' is not one of {string.Join(", ", DomainSplitValues)}");
            domains[domain] = split.ToLowerInvariant();
        }

        var spec = new DatasetSpec
        {
            Name = name,
            Adapter = adapter,
            Root = root,
            VideoDir = OptionalPath("video_dir"),
            Manifest = OptionalPath("manifest"),
            Mapping = OptionalPath("mapping"),
            Prompts = OptionalPath("prompts"),
            Keep = keep,
            ValFraction = Number("val_fraction", 0.15, f => f >= 0 && f < 1, "a fraction in [0, 1)"),
            TestFraction = Number("test_fraction", 0.2, f => f >= 0 && f < 1, "a fraction in [0, 1)"),
            ClipsPerVideo = Number("clips_per_video", 1, n => n >= 1, "a whole number >= 1"),
            WindowFrames = Number("window_frames", 0, n => n >= 0, "a whole number >= 0"),
            DomainSplits = domains,
            Seed = Number("seed", 0L, _ => true, "a whole number"),
            GroupBy = groupBy,
            LabelSource = labelSource,
            SourceFile = sourceName,
            Lines = lines,
        };
        if (spec.ValFraction + spec.TestFraction >= 1)
            throw new DatasetSpecException(sourceName, values.TryGetValue("test_fraction", out var tf) ? tf.Line : nodeLine,
                "test_fraction", $"val_fraction + test_fraction = {spec.ValFraction + spec.TestFraction} leaves no training data");
        return spec;
    }

    /// <summary>Writes a spec with paths relative to the YAML file's folder (so a rendered folder can be moved).</summary>
    public static void Save(string path, DatasetSpec spec)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        string Rel(string p) => Quote(Path.GetRelativePath(dir, p));
        var sb = new StringBuilder();
        sb.Append("# Dataset spec (augment datasets validate/stats; a dataset entry of experiments.yaml).\n");
        sb.Append($"name: {Quote(spec.Name)}\nadapter: {spec.Adapter}\nroot: {Rel(spec.Root)}\n");
        if (spec.VideoDir is { } v) sb.Append($"video_dir: {Rel(v)}\n");
        if (spec.Manifest is { } m) sb.Append($"manifest: {Rel(m)}\n");
        if (spec.Mapping is { } mp) sb.Append($"mapping: {Rel(mp)}\n");
        if (spec.Prompts is { } pr) sb.Append($"prompts: {Rel(pr)}\n");
        if (spec.Keep.Count > 0)
        {
            sb.Append("keep:            # scarcity: training clips kept per class\n");
            foreach (var (c, n) in spec.Keep) sb.Append($"  {Quote(c)}: {n}\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"val_fraction: {spec.ValFraction}\ntest_fraction: {spec.TestFraction}\n");
        sb.Append($"clips_per_video: {spec.ClipsPerVideo}\n");
        if (spec.WindowFrames > 0) sb.Append($"window_frames: {spec.WindowFrames}\n");
        if (spec.DomainSplits.Count > 0)
        {
            sb.Append("domain_splits:\n");
            foreach (var (d, s) in spec.DomainSplits) sb.Append($"  {Quote(d)}: {Quote(s)}\n");
        }
        if (spec.GroupBy is { } g) sb.Append($"group_by: {Quote(g)}\n");
        if (spec.LabelSource != "folder") sb.Append($"label_source: {spec.LabelSource}\n");
        sb.Append($"seed: {spec.Seed}\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    static string Quote(string s) => "'" + s.Replace("'", "''") + "'";

    static string KeyText(YamlNode key, string source) =>
        key is YamlScalarNode { Value: { } v } ? v : throw new DatasetSpecException(source, (int)key.Start.Line, "key", "a key must be a plain name");

    static string Scalar(YamlNode node, string key, int line, string source) =>
        node is YamlScalarNode { Value: { } v } ? v
            : throw new DatasetSpecException(source, line, key, "expected a single value");

    static IEnumerable<(string Key, string Value, int Line)> Pairs(
        Dictionary<string, (YamlNode Node, int Line)> values, string key, string source)
    {
        if (!values.TryGetValue(key, out var v)) yield break;
        if (v.Node is YamlScalarNode { Value: null or "" or "~" or "null" }) yield break;
        if (v.Node is not YamlMappingNode map) throw new DatasetSpecException(source, v.Line, key, "expected a mapping");
        foreach (var (k, val) in map.Children)
        {
            var name = KeyText(k, source);
            yield return (name, Scalar(val, $"{key}.{name}", (int)k.Start.Line, source), (int)k.Start.Line);
        }
    }
}
