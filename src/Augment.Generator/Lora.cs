using Augment.Generator.Models.Native;
using TorchSharp.Modules;

namespace Augment.Generator;

/// <summary>LoRA on the layers of a <see cref="VideoDiT"/> that <see cref="LoraConfig.Targets"/> names.</summary>
public static class Lora
{
    public static readonly IReadOnlySet<string> KnownTargets = new HashSet<string> { "q", "k", "v", "out", "mlp", "mod", "text" };

    /// <summary>Adds rank-r adapters (B = 0, so the model is unchanged) to the chosen layers of every block.</summary>
    public static void Apply(VideoDiT model, LoraConfig lora)
    {
        var unknown = lora.Targets.Where(t => !KnownTargets.Contains(t)).ToList();
        if (unknown.Count > 0 || lora.Targets.Count == 0)
            throw new ArgumentException($"LoRA targets must be a non-empty subset of {string.Join(",", KnownTargets)} (got: {string.Join(",", lora.Targets)})");
        if (lora.Rank < 1) throw new ArgumentException($"LoRA rank must be at least 1, not {lora.Rank}");
        foreach (var (target, layer) in model.Adaptable)
            if (lora.Targets.Contains(target)) layer.EnableLora(lora.Rank, lora.Alpha);
    }

    public static bool IsLoraParameter(string name) => name.EndsWith(".lora_a") || name.EndsWith(".lora_b");

    public static List<(string Name, Parameter Param)> Parameters(VideoDiT model) =>
        model.named_parameters().Where(p => IsLoraParameter(p.name)).Select(p => (p.name, p.parameter)).ToList();
}
