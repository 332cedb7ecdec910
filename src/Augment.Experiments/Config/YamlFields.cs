using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Augment.Experiments.Config;

/// <summary>A problem in a config file, located by key path and line.</summary>
public sealed record ConfigError(int Line, string Key, string Message)
{
    public override string ToString() => $"{Line}: {Key}: {Message}";
}

/// <summary>Every problem found in a config file, so a user fixes them all in one go.</summary>
public sealed class ConfigException(string path, IReadOnlyList<ConfigError> errors)
    : Exception($"{path}: {errors.Count} problem(s):\n" + string.Join("\n", errors.Select(e => $"  {path}:{e}")))
{
    public string ConfigPath { get; } = path;
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}

/// <summary>Typed reads of YAML nodes that record an error (key path + line) instead of throwing at the first one.</summary>
internal sealed class YamlFields
{
    public List<ConfigError> Errors { get; } = [];

    public void Error(YamlNode node, string key, string message) => Errors.Add(new ConfigError((int)node.Start.Line, key, message));

    public void CheckKeys(YamlMappingNode map, string path, IReadOnlyCollection<string> allowed)
    {
        foreach (var (k, _) in map.Children)
        {
            var name = (k as YamlScalarNode)?.Value ?? "?";
            if (!allowed.Contains(name))
                Error(k, Join(path, name), $"unknown key (allowed here: {string.Join(", ", allowed)})");
        }
    }

    public static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) && !IsNull(v) ? v : null;

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } s && s.Value is null or "" or "~" or "null" or "Null" or "NULL";

    public static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

    public string? String(YamlMappingNode map, string path, string key)
    {
        var node = Get(map, key);
        if (node is null) return null;
        if (node is YamlScalarNode s) return s.Value;
        Error(node, Join(path, key), "expected a single value");
        return null;
    }

    public YamlMappingNode? Map(YamlMappingNode map, string path, string key)
    {
        var node = Get(map, key);
        if (node is null or YamlMappingNode) return (YamlMappingNode?)node;
        Error(node, Join(path, key), "expected a mapping (key: value lines)");
        return null;
    }

    public YamlSequenceNode? Sequence(YamlMappingNode map, string path, string key)
    {
        var node = Get(map, key);
        if (node is null or YamlSequenceNode) return (YamlSequenceNode?)node;
        Error(node, Join(path, key), "expected a list, e.g. [a, b]");
        return null;
    }

    public double? Double(YamlMappingNode map, string path, string key, double min = double.MinValue, double max = double.MaxValue)
    {
        var node = Get(map, key);
        return node is null ? null : Double(node, Join(path, key), min, max);
    }

    public double? Double(YamlNode node, string key, double min = double.MinValue, double max = double.MaxValue)
    {
        if (node is YamlScalarNode { Value: { } v }
            && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
        {
            if (d >= min && d <= max) return d;
            Error(node, key, $"{v} is out of range [{Fmt(min)}, {Fmt(max)}]");
            return null;
        }
        Error(node, key, $"'{Describe(node)}' is not a number");
        return null;
    }

    public int? Int(YamlMappingNode map, string path, string key, int min = int.MinValue, int max = int.MaxValue)
    {
        var node = Get(map, key);
        return node is null ? null : Int(node, Join(path, key), min, max);
    }

    public int? Int(YamlNode node, string key, int min = int.MinValue, int max = int.MaxValue)
    {
        if (node is YamlScalarNode { Value: { } v } && int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i))
        {
            if (i >= min && i <= max) return i;
            Error(node, key, $"{v} is out of range [{Fmt(min)}, {Fmt(max)}]");
            return null;
        }
        Error(node, key, $"'{Describe(node)}' is not a whole number");
        return null;
    }

    public long? Long(YamlNode node, string key)
    {
        if (node is YamlScalarNode { Value: { } v } && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
            return l;
        Error(node, key, $"'{Describe(node)}' is not a whole number");
        return null;
    }

    public bool? Bool(YamlMappingNode map, string path, string key)
    {
        var node = Get(map, key);
        if (node is null) return null;
        if (node is YamlScalarNode { Value: { } v } && bool.TryParse(v, out var b)) return b;
        Error(node, Join(path, key), $"'{Describe(node)}' is not true or false");
        return null;
    }

    public IReadOnlyList<string> Strings(YamlMappingNode map, string path, string key)
    {
        var node = Get(map, key);
        if (node is null) return [];
        if (node is YamlScalarNode { Value: { } one }) return [one];
        if (node is YamlSequenceNode seq && seq.Children.All(c => c is YamlScalarNode))
            return seq.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList();
        Error(node, Join(path, key), "expected a list of names, e.g. [a, b]");
        return [];
    }

    public T? Choice<T>(YamlMappingNode map, string path, string key) where T : struct, Enum
    {
        var node = Get(map, key);
        if (node is null) return null;
        if (node is YamlScalarNode { Value: { } v } && Enum.TryParse<T>(v, ignoreCase: true, out var e) && !int.TryParse(v, out _))
            return e;
        Error(node, Join(path, key),
            $"'{Describe(node)}' is not one of {string.Join("|", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}");
        return null;
    }

    /// <summary>A string that must be one of <paramref name="allowed"/>; anything else is an error naming them.</summary>
    public string? OneOf(YamlMappingNode map, string path, string key, params string[] allowed)
    {
        var value = String(map, path, key);
        if (value is null || allowed.Contains(value)) return value;
        Error(Get(map, key)!, Join(path, key), $"'{value}' is not {string.Join(", ", allowed[..^1])} or {allowed[^1]}");
        return null;
    }

    static string Describe(YamlNode node) => node is YamlScalarNode s ? s.Value ?? "" : node.NodeType.ToString().ToLowerInvariant();

    static string Fmt(double d) => d <= int.MinValue ? "-∞" : d >= int.MaxValue ? "∞" : d.ToString(CultureInfo.InvariantCulture);
}
