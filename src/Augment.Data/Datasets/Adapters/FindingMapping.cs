using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Augment.Data.Datasets.Adapters;

/// <summary>
/// HyperKvasir's free-text findings → classes (findings.yaml: <c>classes</c> list, <c>findings</c> map, <c>excluded</c>
/// list). Matching ignores case, punctuation and spacing, so "Dye-lifted polyp" and "dye lifted polyp" agree.
/// </summary>
public sealed partial class FindingMapping
{
    readonly Dictionary<string, string> _findings = new(StringComparer.Ordinal);
    readonly HashSet<string> _excluded = new(StringComparer.Ordinal);
    readonly Dictionary<string, string> _classes = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Classes { get; private init; } = [];

    public static FindingMapping Load(string path)
    {
        var stream = YamlFile.LoadData(path);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"{path}: expected a mapping with classes, findings and excluded");
        YamlNode? Get(string key) => root.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;
        if (Get("classes") is not YamlSequenceNode classes || classes.Children.Count == 0)
            throw new InvalidDataException($"{path}:{root.Start.Line}: 'classes' must list the class names");
        string Text(YamlNode node, string what) => node is YamlScalarNode { Value: { } v }
            ? v.Trim() : throw new InvalidDataException($"{path}:{node.Start.Line}: {what} must be a single name, not a list or mapping");
        var mapping = new FindingMapping { Classes = classes.Children.Select(c => Text(c, "a class")).ToList() };
        foreach (var c in mapping.Classes) mapping._classes[Layout.Normalise(c)] = c;
        if (Get("findings") is { } findingsNode)
        {
            if (findingsNode is not YamlMappingNode findings)
                throw new InvalidDataException($"{path}:{findingsNode.Start.Line}: 'findings' must map each finding to a class");
            foreach (var (k, v) in findings.Children)
            {
                var finding = Text(k, "a finding");
                var cls = Text(v, $"the class of finding '{finding}'");
                if (!mapping.Classes.Contains(cls))
                    throw new InvalidDataException($"{path}:{v.Start.Line}: finding '{finding}' maps to '{cls}', which is not in 'classes'");
                mapping._findings[Key(finding)] = cls;
            }
        }
        if (Get("excluded") is { } excludedNode)
        {
            if (excludedNode is not YamlSequenceNode excluded)
                throw new InvalidDataException($"{path}:{excludedNode.Start.Line}: 'excluded' must list findings");
            foreach (var e in excluded.Children) mapping._excluded.Add(Key(Text(e, "an excluded finding")));
        }
        return mapping;
    }

    /// <summary>Normalised form a finding is matched by: lower case, words separated by single spaces.</summary>
    public static string Key(string finding) => NonWord().Replace(finding.ToLowerInvariant(), " ").Trim();

    public bool IsExcluded(string finding) => _excluded.Contains(Key(finding));

    /// <summary>The class for a finding or a class folder name, or null when unmapped.</summary>
    public string? ClassOf(string findingOrFolder) =>
        _classes.TryGetValue(Layout.Normalise(findingOrFolder), out var c) ? c
        : _findings.TryGetValue(Key(findingOrFolder), out c) ? c : null;

    [GeneratedRegex(@"[^a-z0-9]+")]
    private static partial Regex NonWord();
}
