using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Augment.Data;

namespace Augment.Experiments.Sweep;

/// <summary>
/// What a stage's result depends on — its effective settings, the content of its inputs, what the stages it builds on
/// produced, and the code's source hash — as named text values, with their hash. A stored result is reused only when
/// its fingerprint equals the one the current plan computes; otherwise the changed inputs say why it reruns.
/// Stored as fingerprint.json in the stage's folder, written when the stage starts (so partial work is judged too).
/// </summary>
public sealed record Fingerprint(string Hash, IReadOnlyDictionary<string, string> Inputs)
{
    public const string FileName = "fingerprint.json";

    public static Fingerprint Of(IEnumerable<KeyValuePair<string, string>> inputs)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in inputs) sorted[k] = v;
        return new(SweepPlanner.ShortHash(string.Join("\n", sorted.Select(kv => kv.Key + "=" + kv.Value))), sorted);
    }

    /// <summary>Settings objects as "prefix.Property" values (nested records flattened), for readable differences.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Flatten(string prefix, object settings)
    {
        var result = new List<KeyValuePair<string, string>>();
        Walk(prefix, JsonSerializer.SerializeToNode(settings, settings.GetType(), AtomicFile.Json));
        return result;

        void Walk(string key, JsonNode? node)
        {
            if (node is JsonObject o) foreach (var (k, v) in o) Walk($"{key}.{k}", v);
            else result.Add(new(key, node?.ToJsonString() ?? "null"));
        }
    }

    /// <summary>Null when the stored fingerprint matches; otherwise the inputs that changed, "old → new".</summary>
    public string? Differences(Fingerprint stored)
    {
        if (stored.Hash == Hash) return null;
        var changed = Inputs.Keys.Union(stored.Inputs.Keys).Order(StringComparer.Ordinal)
            .Where(k => stored.Inputs.GetValueOrDefault(k) != Inputs.GetValueOrDefault(k)).ToList();
        var shown = changed.Take(3).Select(k => $"{k} {Brief(stored.Inputs.GetValueOrDefault(k))} → {Brief(Inputs.GetValueOrDefault(k))}");
        return string.Join("; ", shown) + (changed.Count > 3 ? $" (and {changed.Count - 3} more)" : "");
    }

    static string Brief(string? value) => value is null ? "(none)" : value.Length > 40 ? value[..37] + "…" : value;

    public static Fingerprint? TryRead(string dir)
    {
        var path = Path.Combine(dir, FileName);
        return AtomicFile.TryReadJson<Fingerprint>(path);
    }

    public void Write(string dir) => AtomicFile.WriteJson(Path.Combine(dir, FileName), this);

    public static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
