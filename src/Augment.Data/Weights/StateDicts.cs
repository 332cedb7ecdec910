using System.Collections;
using System.Text.Json.Nodes;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Augment.Data.Weights;

/// <summary>Opens the checkpoint files the field already uses, by what the path is.</summary>
public static class StateDicts
{
    /// <summary>Extensions of PyTorch's zip pickles (<c>torch.save</c>).</summary>
    public static readonly IReadOnlyList<string> PickleExtensions = [".pth", ".pt", ".bin", ".ckpt", ".tar"];

    /// <summary>
    /// A <c>.safetensors</c> file; a sharded checkpoint's <c>*.safetensors.index.json</c>; a folder holding one of those
    /// (diffusers' <c>transformer/</c>, <c>vae/</c>); or a PyTorch pickle (<see cref="PickleExtensions"/>).
    /// </summary>
    public static IStateDict Open(string path)
    {
        if (Directory.Exists(path)) return Open(WeightsIn(path));
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such weights file", path);
        if (path.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase)) return new ShardedSafeTensors(path);
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return new SafeTensorsFile(path);
        if (PickleExtensions.Any(e => path.EndsWith(e, StringComparison.OrdinalIgnoreCase))) return new PickleStateDict(path);
        throw new InvalidDataException($"{path}: not a weights file Augment reads (.safetensors, *.safetensors.index.json, {string.Join(", ", PickleExtensions)})");
    }

    /// <summary>The one weights file of a model folder: the shard index when there is one, else the single safetensors file.</summary>
    static string WeightsIn(string folder)
    {
        var indexes = Directory.GetFiles(folder, "*.safetensors.index.json");
        if (indexes.Length == 1) return indexes[0];
        var files = Directory.GetFiles(folder, "*.safetensors");
        if (indexes.Length == 0 && files.Length == 1) return files[0];
        throw new InvalidDataException(indexes.Length > 1 || files.Length > 1
            ? $"{folder}: holds several weights files ({string.Join(", ", indexes.Concat(files).Select(Path.GetFileName))}); name the one to load"
            : $"{folder}: holds no *.safetensors file or *.safetensors.index.json");
    }
}

/// <summary>
/// A checkpoint split over several safetensors files (Hugging Face's sharding): <c>*.index.json</c> maps every tensor to
/// its shard. Each shard is checked to hold exactly the tensors the index gives it, so a missing or partial download is
/// an error naming the shard before anything is loaded.
/// </summary>
public sealed class ShardedSafeTensors : IStateDict
{
    readonly Dictionary<string, SafeTensorsFile> shards = new(StringComparer.Ordinal);
    readonly Dictionary<string, SafeTensorsFile> shardOf = new(StringComparer.Ordinal);

    public ShardedSafeTensors(string indexPath)
    {
        Source = indexPath;
        JsonObject map;
        try
        {
            map = JsonNode.Parse(File.ReadAllText(indexPath))?["weight_map"]?.AsObject()
                ?? throw new InvalidDataException($"{indexPath}: no weight_map: not a sharded-checkpoint index");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{indexPath}: not JSON ({e.Message})");
        }
        var folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        try
        {
            foreach (var (name, fileNode) in map)
            {
                var file = fileNode?.GetValue<string>() ?? throw new InvalidDataException($"{indexPath}: tensor '{name}' has no shard");
                if (!shards.TryGetValue(file, out var shard))
                {
                    var shardPath = Path.Combine(folder, file);
                    if (!File.Exists(shardPath)) throw new FileNotFoundException($"{indexPath}: shard {file} is missing (partial download?)", shardPath);
                    shards[file] = shard = new SafeTensorsFile(shardPath);
                }
                if (!shard.Entries.ContainsKey(name)) throw new InvalidDataException($"{shard.Source}: lacks tensor '{name}', which {Path.GetFileName(indexPath)} places there");
                shardOf[name] = shard;
            }
            foreach (var shard in shards.Values)
                if (shard.Entries.Keys.FirstOrDefault(k => !shardOf.ContainsKey(k)) is { } stray)
                    throw new InvalidDataException($"{shard.Source}: holds tensor '{stray}', which {Path.GetFileName(indexPath)} does not list");
        }
        catch
        {
            Dispose();
            throw;
        }
        Entries = shardOf.ToDictionary(kv => kv.Key, kv => kv.Value.Entries[kv.Key], StringComparer.Ordinal);
        Metadata = shards.Values.SelectMany(s => s.Metadata).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.Ordinal);
    }

    public string Source { get; }
    public IReadOnlyDictionary<string, TensorInfo> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public Tensor Read(string name) => shardOf.TryGetValue(name, out var shard) ? shard.Read(name) : throw new KeyNotFoundException($"{Source}: no tensor '{name}'");

    public void Dispose()
    {
        foreach (var shard in shards.Values) shard.Dispose();
    }
}

/// <summary>
/// A PyTorch zip pickle, unpickled by TorchSharp.PyBridge (the whole file at once): a flat state dict, or a training
/// checkpoint that nests one under <see cref="NestedKeys"/> (MMAction2's <c>state_dict</c>, <c>model</c>, …) beside
/// other entries (meta, optimizer), which are ignored.
/// </summary>
public sealed class PickleStateDict : IStateDict
{
    readonly Dictionary<string, Tensor> tensors = new(StringComparer.Ordinal);

    public PickleStateDict(string path)
    {
        Source = path;
        Hashtable table;
        try { table = PyTorchUnpickler.UnpickleStateDict(path); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot be read as a PyTorch checkpoint ({e.GetType().Name}: {e.Message})");
        }
        foreach (var key in NestedKeys)
            if (table[key] is Hashtable nested && !table.Values.OfType<Tensor>().Any())
            {
                table = nested;
                Nested = key;
                break;
            }
        foreach (DictionaryEntry entry in table)
        {
            var name = entry.Key?.ToString() ?? "";
            if (entry.Value is Tensor t) tensors[name] = t;
            else throw new InvalidDataException($"{path}: '{name}' is a {entry.Value?.GetType().Name ?? "null"}, not a tensor: not a flat state dict");
        }
        Entries = tensors.ToDictionary(kv => kv.Key, kv => new TensorInfo(kv.Value.shape, kv.Value.dtype), StringComparer.Ordinal);
    }

    /// <summary>Where a training checkpoint keeps its weights, in the order they are looked for.</summary>
    public static readonly IReadOnlyList<string> NestedKeys = ["state_dict", "model", "module", "model_state", "net"];

    /// <summary>The key the state dict was nested under, or null for a flat one.</summary>
    public string? Nested { get; }

    public string Source { get; }
    public IReadOnlyDictionary<string, TensorInfo> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; } = new Dictionary<string, string>();
    public Tensor Read(string name) => tensors.TryGetValue(name, out var t) ? t.clone() : throw new KeyNotFoundException($"{Source}: no tensor '{name}'");

    public void Dispose()
    {
        foreach (var t in tensors.Values) t.Dispose();
    }
}
