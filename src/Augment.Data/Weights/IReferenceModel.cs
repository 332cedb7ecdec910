using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Augment.Data.Weights;

/// <summary>
/// One case of the reference kit (shared/reference in the developers' repository; its file layout is the contract): the
/// model's constructor arguments, its weights, the named inputs, and what to record.
/// </summary>
/// <param name="Model">The model's arguments: the kit config's <c>model</c> object, or a diffusers <c>config.json</c> whole.</param>
/// <param name="Weights">The model's state dict (official names); null where the model has none (a scheduler) or the
/// case rebuilds it (torchvision's <c>--init hash</c>).</param>
/// <param name="Lora">A PEFT/diffusers LoRA file to apply, or null.</param>
/// <param name="GradParams">With <paramref name="Grads"/>: the parameters whose gradients to record (empty: the model's choice).</param>
public sealed record ReferenceCase(JsonObject Model, IStateDict? Weights, IStateDict Inputs, string? Lora, bool Grads, IReadOnlyList<string> GradParams)
{
    /// <summary>The seed of a kit case made with <c>--init hash</c> (its config.json says so): the weights follow
    /// <see cref="HashInit"/>, so no weights file is needed.</summary>
    public long? HashInitSeed { get; init; }

    /// <summary>A VAE's spatial tiling as diffusers' <c>enable_tiling()</c> arguments (the kit config's <c>tiling</c>
    /// object; empty: diffusers' defaults); null: off.</summary>
    public JsonObject? Tiling { get; init; }

    /// <summary>The named input tensor as stored; a missing one is an error naming the inputs file.</summary>
    public Tensor Input(string name) =>
        Inputs.Entries.ContainsKey(name) ? Inputs.Read(name) : throw new InvalidDataException($"{Inputs.Source}: no input '{name}'");
}

/// <summary>
/// A model `augment models forward` can run on a reference case: fp32 on the CPU, outputs under the kit's names
/// (<c>output</c>, …; with grads, <c>loss</c> = mean(output²) and <c>grad.&lt;name&gt;</c>).
/// </summary>
public interface IReferenceModel
{
    /// <summary>The kit's <c>--model</c> name (wan-transformer, torchvision-video, …).</summary>
    string Name { get; }
    IReadOnlyDictionary<string, Tensor> Run(ReferenceCase c);
}
