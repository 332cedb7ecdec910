using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Augment.Data.Datasets;

/// <summary>One class and the text the generator is conditioned on for it.</summary>
public sealed record ClassPrompt(string Name, string Prompt);

/// <summary>
/// classes.yaml: <c>classes:</c> followed by a list of <c>{name, prompt}</c> entries, in the dataset's class order.
/// </summary>
public static class ClassPrompts
{
    public const string FileName = "classes.yaml";

    public static IReadOnlyList<ClassPrompt> Load(string path)
    {
        var stream = YamlFile.LoadData(path);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue(new YamlScalarNode("classes"), out var node) || node is not YamlSequenceNode list)
            throw new InvalidDataException($"{path}:{(stream.Documents.Count == 0 ? 1 : stream.Documents[0].RootNode.Start.Line)}: expected a 'classes:' list of {{name, prompt}} entries");
        var result = new List<ClassPrompt>();
        foreach (var item in list)
        {
            string? Field(string key) => item is YamlMappingNode m && m.Children.TryGetValue(new YamlScalarNode(key), out var v)
                ? (v as YamlScalarNode)?.Value : null;
            var name = Field("name");
            if (string.IsNullOrWhiteSpace(name))
                throw new InvalidDataException($"{path}:{item.Start.Line}: a class entry needs a 'name'");
            if (result.Any(c => c.Name == name))
                throw new InvalidDataException($"{path}:{item.Start.Line}: class '{name}' is listed twice");
            result.Add(new ClassPrompt(name, string.IsNullOrWhiteSpace(Field("prompt")) ? DefaultPrompt(name) : Field("prompt")!.Trim()));
        }
        return result;
    }

    public static void Save(string path, IEnumerable<ClassPrompt> classes, string comment = "")
    {
        var sb = new StringBuilder();
        if (comment.Length > 0) sb.Append("# ").Append(comment).Append('\n');
        sb.Append("classes:\n");
        foreach (var c in classes)
            sb.Append($"  - name: '{c.Name.Replace("'", "''")}'\n    prompt: '{c.Prompt.Replace("'", "''")}'\n");
        AtomicFile.WriteAllText(path, sb.ToString());
    }

    public static string DefaultPrompt(string className) => $"a video of {className}";
}
