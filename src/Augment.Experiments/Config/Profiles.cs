using Augment.Classifier;
using Augment.Data;
using Augment.Generator;
using YamlDotNet.RepresentationModel;

namespace Augment.Experiments.Config;

/// <summary>What a profile sets: the clip size, the classifier's settings and the native generator's engine.</summary>
public sealed record ProfileSettings(string Name, ClipSpec Clip, ClassifierOptions Classifier, GeneratorConfig Engine);

/// <summary>
/// Profiles are data: profiles/&lt;name&gt;.yaml beside the binaries (tiny, small, full), or any YAML file a user
/// writes, holding the `clip`, `classifier` and `generator` keys of experiments.yaml. `_base_: other.yaml` inherits
/// another profile (a shipped name, or a path relative to the file) and changes what it lists. Each file is checked
/// on its own, so an error names the file and line it is in.
/// </summary>
public static class Profiles
{
    public const string DefaultName = "tiny";
    public static readonly IReadOnlyList<string> Shipped = ["tiny", "small", "full"];
    static readonly string[] Keys = ["_base_", "clip", "classifier", "generator"];

    /// <summary>A shipped profile by name, or a profile file (relative to <paramref name="relativeTo"/>).</summary>
    public static ProfileSettings Load(string nameOrPath, string? relativeTo = null) => Load(nameOrPath, relativeTo, []);

    static ProfileSettings Load(string nameOrPath, string? relativeTo, List<string> chain)
    {
        var path = Resolve(nameOrPath, relativeTo);
        if (chain.Contains(path)) throw new InvalidDataException($"{path}: _base_ chain loops ({string.Join(" → ", chain.Append(path))})");
        chain.Add(path);
        YamlMappingNode root;
        try
        {
            var stream = YamlFile.Load(path);
            root = stream.Documents.Count == 0 ? new YamlMappingNode() : stream.Documents[0].RootNode as YamlMappingNode
                ?? throw new ConfigException(path, [new ConfigError(1, "(file)", "expected a mapping of clip, classifier and generator settings")]);
        }
        catch (YamlFileException e) { throw new ConfigException(path, [new ConfigError((int)e.Line, "(syntax)", e.Problem)]); }

        var f = new YamlFields();
        f.CheckKeys(root, "", Keys);
        var inherited = f.String(root, "", "_base_") is { } parent
            ? Load(parent, Path.GetDirectoryName(path), chain)
            : new ProfileSettings("", new ClipSpec(8, 32, 32), new ClassifierOptions(), new GeneratorConfig());
        var clip = ExperimentConfigLoader.ReadClip(f, f.Map(root, "", "clip"), "clip", inherited.Clip);
        var classifier = ExperimentConfigLoader.ReadClassifier(f, f.Map(root, "", "classifier"), inherited.Classifier, Path.GetDirectoryName(Path.GetFullPath(path))!);
        var engine = ExperimentConfigLoader.ReadEngine(f, f.Map(root, "", "generator"), "generator", inherited.Engine);
        if (f.Errors.Count > 0) throw new ConfigException(path, f.Errors);
        var name = Shipped.Contains(nameOrPath) ? nameOrPath : Path.GetFileNameWithoutExtension(path);
        return new ProfileSettings(name, clip, classifier, engine);
    }

    static string Resolve(string nameOrPath, string? relativeTo)
    {
        if (Shipped.Contains(nameOrPath)) return Path.Combine(AppContext.BaseDirectory, "profiles", nameOrPath + ".yaml");
        var path = Path.GetFullPath(Path.Combine(relativeTo ?? Directory.GetCurrentDirectory(), nameOrPath));
        if (File.Exists(path)) return path;
        if (File.Exists(path + ".yaml")) return path + ".yaml";
        throw new FileNotFoundException($"'{nameOrPath}' is not one of {string.Join("|", Shipped)} or a profile file (no {path})", path);
    }
}
