using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Data.Weights;

/// <summary>How a checkpoint's names meet a module's. Every relaxation is explicit and shows in the <see cref="LoadReport"/>.</summary>
public sealed record LoadOptions
{
    /// <summary>A file name to the module name it fills, or null for a tensor that belongs to something else (another
    /// component of the same file). Default: the same name.</summary>
    public Func<string, string?> Rename { get; init; } = name => name;
    /// <summary>Module tensors the file may lack; they keep their current values (a LoRA's parameters in a base checkpoint).</summary>
    public Func<string, bool> MayBeMissing { get; init; } = _ => false;
    /// <summary>Module tensors the file may hold in another shape; the module's own initial values are then kept (a
    /// classification head for another number of classes).</summary>
    public Func<string, bool> MayBeReplaced { get; init; } = _ => false;
}

/// <summary>What a load did: tensors copied, module tensors kept at their initial values because the file's had another
/// shape (with both shapes) or was absent, and file tensors that filled nothing.</summary>
public sealed record LoadReport(string Source, int Loaded, IReadOnlyList<string> Replaced, IReadOnlyList<string> Missing, IReadOnlyList<string> Unused);

/// <summary>The checkpoint does not fit the model; the message lists every bad name, grouped.</summary>
public sealed class StateDictMismatchException(string message) : IOException(message);

/// <summary>
/// Strict loading of a state dict into a module, with names and shapes checked (TorchSharp.PyBridge checks neither,
/// and ignores its skip list for names the module has). Everything is checked from the file's header before any data is
/// read; tensors are then copied one at a time into the module's own tensors (converting dtype, keeping device).
/// </summary>
public static class StateDictLoader
{
    const int Listed = 12;

    public static LoadReport Load(nn.Module module, IStateDict file, LoadOptions? options = null)
    {
        options ??= new LoadOptions();
        var targets = module.state_dict();
        var plan = new List<(string File, string Module)>();
        var unused = new List<string>();
        var misShaped = new List<string>();
        var replaced = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (fileName, info) in file.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var name = options.Rename(fileName);
            if (name is null) continue;
            if (!targets.TryGetValue(name, out var target)) { unused.Add(fileName == name ? name : $"{fileName} (as {name})"); continue; }
            if (!seen.Add(name)) throw new StateDictMismatchException($"{file.Source}: two tensors fill {name}");
            if (!target.shape.SequenceEqual(info.Shape))
            {
                var what = $"{name}: file {info.ShapeText}, model {Shape(target)}";
                (options.MayBeReplaced(name) ? replaced : misShaped).Add(what);
                continue;
            }
            plan.Add((fileName, name));
        }
        var missing = targets.Keys.Where(k => !seen.Contains(k)).Order(StringComparer.Ordinal).ToList();
        var badMissing = missing.Where(k => !options.MayBeMissing(k)).ToList();
        if (badMissing.Count > 0 || unused.Count > 0 || misShaped.Count > 0)
            throw new StateDictMismatchException($"{file.Source} does not fit {module.GetName()} ({targets.Count} tensors; the file has {file.Entries.Count}): "
                + string.Join("; ", new[] { ("missing from the file", badMissing), ("not in the model", unused), ("shape differs", misShaped) }
                    .Where(g => g.Item2.Count > 0).Select(g => $"{g.Item2.Count} {g.Item1}: {List(g.Item2)}")));

        using (no_grad())
        {
            foreach (var (fileName, name) in plan)
            {
                using var value = file.Read(fileName);
                targets[name].copy_(value);
            }
        }
        return new LoadReport(file.Source, plan.Count, replaced, missing, unused);
    }

    static string Shape(Tensor t) => $"[{string.Join(",", t.shape)}]";

    static string List(IReadOnlyList<string> names) =>
        string.Join(", ", names.Take(Listed)) + (names.Count > Listed ? $", … and {names.Count - Listed} more" : "");
}
