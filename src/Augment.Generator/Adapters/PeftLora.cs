using System.Text.Json;
using System.Text.Json.Nodes;
using Augment.Data.Weights;
using Augment.Generator.Models.Diffusers;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Generator.Adapters;

/// <summary>
/// LoRA files in the PEFT/diffusers format, for any model built from <see cref="LoraLinear"/>s:
/// <c>transformer.&lt;module&gt;.lora_A.weight</c> [r,in] and <c>.lora_B.weight</c> [out,r]. Alpha comes, as diffusers
/// reads it, from the file's <c>lora_adapter_metadata</c> (<c>transformer.lora_alpha</c>, <c>transformer.alpha_pattern</c>),
/// else from a <c>lora_config.json</c> beside the file (FastVideo's habit), else alpha = r for every module (scale 1).
/// </summary>
public static class PeftLora
{
    public const string Prefix = "transformer.";
    const string MetadataKey = "lora_adapter_metadata";
    static readonly string[] Parts = [".lora_A.weight", ".lora_B.weight"];

    /// <summary>One adapted module: its path in the model, rank, scale (alpha/r, or alpha/√r with rsLoRA) and the file's names.</summary>
    public sealed record Adapter(string Module, int Rank, double Scale, string AName, string BName);

    /// <summary>PEFT's default target_modules for diffusers' transformers (what diffusers' training scripts pass).</summary>
    public static readonly IReadOnlyList<string> DefaultTargets = ["to_q", "to_k", "to_v", "to_out.0"];

    /// <summary>Fresh adapters (B = 0) on every linear layer whose path is a target or ends in "." + a target, as PEFT
    /// matches target_modules; returns the adapted paths. A is drawn from <paramref name="generator"/>, layer by layer in path order.</summary>
    public static IReadOnlyList<string> AddAdapters(nn.Module model, int rank, double alpha, IReadOnlyList<string> targets, torch.Generator? generator = null)
    {
        var chosen = Linears(model).Where(kv => targets.Any(t => kv.Key == t || kv.Key.EndsWith("." + t, StringComparison.Ordinal)))
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        if (chosen.Count == 0) throw new ArgumentException($"LoRA targets {string.Join(", ", targets)} match no linear layer of the model");
        foreach (var (_, linear) in chosen) linear.AddAdapter(rank, alpha, generator);
        return chosen.Select(kv => kv.Key).ToList();
    }

    /// <summary>Adds the file's adapters to the model unmerged (y = Wx + b + scale·B(Ax)), strictly: every tensor must
    /// fill an adapter of a linear layer of the model with the right shape.</summary>
    public static IReadOnlyList<Adapter> Attach(nn.Module model, string path)
    {
        using var file = StateDicts.Open(path);
        var adapters = Plan(model, file, path);
        var linears = Linears(model);
        foreach (var a in adapters) linears[a.Module].AddAdapter(a.Rank, a.Scale * a.Rank);
        StateDictLoader.Load(model, file, new LoadOptions
        {
            Rename = name => name[Prefix.Length..],
            MayBeMissing = name => !IsAdapterTensor(name),
        });
        return adapters;
    }

    /// <summary>Merges the file's adapters into the weights (W += scale·B·A), with the same checks as <see cref="Attach"/>.</summary>
    public static IReadOnlyList<Adapter> Merge(nn.Module model, string path)
    {
        using var file = StateDicts.Open(path);
        var adapters = Plan(model, file, path);
        var linears = Linears(model);
        foreach (var a in adapters)
        {
            using var down = file.Read(a.AName);
            using var up = file.Read(a.BName);
            linears[a.Module].MergeInto(down, up, a.Scale);
        }
        return adapters;
    }

    /// <summary>The model's adapter parameters under the file's names (<c>transformer.blocks.0.attn1.to_q.lora_A.weight</c>, …).</summary>
    public static List<(string Name, TorchSharp.Modules.Parameter Param)> Parameters(nn.Module model) =>
        model.named_parameters().Where(p => IsAdapterTensor(p.name)).Select(p => (Prefix + p.name, p.parameter)).ToList();

    /// <summary>Writes the model's adapters so diffusers' <c>load_lora_weights</c> reads them: the names above, float32,
    /// and <c>lora_adapter_metadata</c> with r and lora_alpha (one rank and alpha for all; rank_pattern otherwise).</summary>
    public static void Save(nn.Module model, string path)
    {
        var adapted = Linears(model).Where(kv => kv.Value.HasAdapter).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        if (adapted.Count == 0) throw new InvalidOperationException($"{path}: the model has no LoRA adapters to save");
        var r = adapted.GroupBy(kv => kv.Value.Rank).OrderByDescending(g => g.Count()).First().Key;
        var alphaOf = adapted.ToDictionary(kv => kv.Key, kv => kv.Value.Scale * kv.Value.Rank);
        var alpha = alphaOf[adapted.First(kv => kv.Value.Rank == r).Key];
        var meta = new JsonObject
        {
            ["transformer.r"] = r,
            ["transformer.lora_alpha"] = alpha,
            ["transformer.target_modules"] = new JsonArray(adapted.Select(kv => (JsonNode?)kv.Key).ToArray()),
            ["transformer.rank_pattern"] = new JsonObject(adapted.Where(kv => kv.Value.Rank != r).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value.Rank))),
            ["transformer.alpha_pattern"] = new JsonObject(alphaOf.Where(kv => kv.Value != alpha).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["transformer.lora_dropout"] = 0.0,
            ["transformer.bias"] = "none",
            ["transformer.use_dora"] = false,
            ["transformer.use_rslora"] = false,
        };
        var tensors = Parameters(model).Select(p => (p.Name, p.Param.detach().to(ScalarType.Float32))).ToList();
        try
        {
            SafeTensorsFile.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt", [MetadataKey] = meta.ToJsonString() });
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
        }
    }

    static bool IsAdapterTensor(string name) => name.EndsWith(".lora_A.weight", StringComparison.Ordinal) || name.EndsWith(".lora_B.weight", StringComparison.Ordinal);

    static Dictionary<string, LoraLinear> Linears(nn.Module model) =>
        model.named_modules().Where(m => m.module is LoraLinear).ToDictionary(m => m.name, m => (LoraLinear)m.module, StringComparer.Ordinal);

    /// <summary>Checks the file against the model before anything changes, and reads each module's rank and scale.</summary>
    static List<Adapter> Plan(nn.Module model, IStateDict file, string path)
    {
        var linears = Linears(model);
        var bad = new List<string>();
        var modules = new SortedDictionary<string, (TensorInfo? A, TensorInfo? B)>(StringComparer.Ordinal);
        foreach (var (name, info) in file.Entries)
        {
            var part = Parts.FirstOrDefault(p => name.EndsWith(p, StringComparison.Ordinal));
            if (!name.StartsWith(Prefix, StringComparison.Ordinal) || part is null)
            {
                bad.Add($"{name} (not transformer.<module>.lora_A/lora_B.weight)");
                continue;
            }
            var module = name[Prefix.Length..^part.Length];
            modules.TryGetValue(module, out var pair);
            modules[module] = part == Parts[0] ? (info, pair.B) : (pair.A, info);
        }
        var config = AlphaSource(file, path);
        var adapters = new List<Adapter>();
        foreach (var (module, (a, b)) in modules)
        {
            if (!linears.TryGetValue(module, out var linear)) { bad.Add($"{module} (no such linear layer in the model)"); continue; }
            if (a is null || b is null) { bad.Add($"{module} (has only lora_{(a is null ? "B" : "A")})"); continue; }
            if (a.Shape.Length != 2 || b.Shape.Length != 2 || a.Shape[1] != linear.InFeatures || b.Shape[0] != linear.OutFeatures || a.Shape[0] != b.Shape[1])
            {
                bad.Add($"{module} (lora_A {a.ShapeText}, lora_B {b.ShapeText}; the layer is [{linear.OutFeatures},{linear.InFeatures}])");
                continue;
            }
            int rank = (int)a.Shape[0];
            double alpha = config.AlphaOf(module) ?? rank;
            adapters.Add(new Adapter(module, rank, config.RsLora ? alpha / Math.Sqrt(rank) : alpha / rank,
                Prefix + module + Parts[0], Prefix + module + Parts[1]));
        }
        if (bad.Count > 0)
            throw new StateDictMismatchException($"{path} does not fit the model as a LoRA ({bad.Count} problems): {string.Join("; ", bad.Take(12))}{(bad.Count > 12 ? $"; … and {bad.Count - 12} more" : "")}");
        if (adapters.Count == 0) throw new InvalidDataException($"{path}: holds no LoRA tensors");
        return adapters;
    }

    /// <summary>Where alpha comes from: a global value and per-module patterns (PEFT matches a pattern key to a module
    /// path equal to it or ending in ".key"); null where the file says nothing, so alpha = r.</summary>
    sealed record AlphaConfig(double? Alpha, IReadOnlyDictionary<string, double> Pattern, bool RsLora)
    {
        public double? AlphaOf(string module) =>
            Pattern.FirstOrDefault(kv => module == kv.Key || module.EndsWith("." + kv.Key, StringComparison.Ordinal)) is { Key: not null } hit ? hit.Value : Alpha;
    }

    static AlphaConfig AlphaSource(IStateDict file, string path)
    {
        if (file.Metadata.TryGetValue(MetadataKey, out var raw))
        {
            var json = ParseObject(raw, $"{path}: {MetadataKey}");
            // diffusers keeps only the entries under the component's prefix and strips it.
            var own = json.Where(kv => kv.Key.StartsWith(Prefix, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[Prefix.Length..], kv => kv.Value);
            return FromPeftConfig(own, $"{path}: {MetadataKey}");
        }
        var beside = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, "lora_config.json");
        if (File.Exists(beside))
            return FromPeftConfig(ParseObject(File.ReadAllText(beside), beside).ToDictionary(kv => kv.Key, kv => kv.Value), beside);
        return new AlphaConfig(null, new Dictionary<string, double>(), false);
    }

    static AlphaConfig FromPeftConfig(IReadOnlyDictionary<string, JsonNode?> c, string source)
    {
        try
        {
            if (c.TryGetValue("use_dora", out var dora) && dora?.GetValue<bool>() == true)
                throw new InvalidDataException($"{source}: use_dora is set; DoRA adapters are not supported");
            var alphaNode = c.GetValueOrDefault("lora_alpha") ?? c.GetValueOrDefault("alpha");
            var pattern = c.GetValueOrDefault("alpha_pattern")?.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>(), StringComparer.Ordinal)
                ?? new Dictionary<string, double>();
            return new AlphaConfig(alphaNode?.GetValue<double>(), pattern, c.GetValueOrDefault("use_rslora")?.GetValue<bool>() == true);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: a LoRA setting has the wrong type ({e.Message})");
        }
    }

    static JsonObject ParseObject(string text, string source)
    {
        try { return JsonNode.Parse(text)?.AsObject() ?? throw new InvalidDataException($"{source}: empty"); }
        catch (JsonException e) { throw new InvalidDataException($"{source}: not JSON ({e.Message})"); }
    }
}
