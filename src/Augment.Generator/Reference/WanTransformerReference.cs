using Augment.Data.Weights;
using Augment.Generator.Adapters;
using Augment.Generator.Models.Wan;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Generator.Reference;

/// <summary>
/// <c>wan-transformer</c> for `augment models forward`: builds <see cref="WanTransformer3DModel"/> from the case's config,
/// loads the weights strictly, runs <c>hidden_states</c>, <c>timestep</c>, <c>encoder_hidden_states</c> in fp32 and
/// writes <c>output</c>; with a LoRA, <c>output</c> has it applied (unmerged) and <c>output_base</c> is without it; with
/// grads, <c>loss</c> = mean(output²) and <c>grad.&lt;name&gt;</c> for the LoRA tensors (else grad_params, else the
/// kit's default: the first, the middle and the last two parameters).
/// </summary>
public sealed class WanTransformerReference : IReferenceModel
{
    public string Name => "wan-transformer";

    public IReadOnlyDictionary<string, Tensor> Run(ReferenceCase c)
    {
        var config = WanTransformerConfig.FromJson(c.Model, "--config");
        if (c.Weights is null) throw new ArgumentException("wan-transformer needs --weights (the transformer's state dict)");
        using var model = new WanTransformer3DModel(config);
        StateDictLoader.Load(model, c.Weights);
        model.eval();
        using var x = c.Input("hidden_states").to(ScalarType.Float32);
        using var t = c.Input("timestep").to(ScalarType.Float32);
        using var text = c.Input("encoder_hidden_states").to(ScalarType.Float32);

        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        if (c.Lora is not null)
        {
            using (no_grad()) outputs["output_base"] = model.forward(x, t, text);
            PeftLora.Attach(model, c.Lora);
        }
        var gradParams = c.Lora is not null ? PeftLora.Parameters(model)
            : Chosen(model.named_parameters().Select(p => (p.name, p.parameter)).ToList(), c.GradParams);
        foreach (var p in model.parameters()) p.requires_grad = false;
        if (c.Grads) foreach (var (_, p) in gradParams) p.requires_grad = true;

        using (var _ = c.Grads ? enable_grad() : no_grad())
        {
            var output = model.forward(x, t, text);
            if (c.Grads)
            {
                var loss = output.pow(HeldScalars.Two).mean();
                loss.backward();
                outputs["loss"] = loss.detach();
                foreach (var (name, p) in gradParams) outputs["grad." + name] = p.grad!.detach().clone();
            }
            outputs["output"] = output.detach();
        }
        return outputs;
    }

    static List<(string, TorchSharp.Modules.Parameter)> Chosen(List<(string Name, TorchSharp.Modules.Parameter Param)> all, IReadOnlyList<string> names)
    {
        if (names.Count == 0) return [all[0], all[all.Count / 2], all[^2], all[^1]];
        var byName = all.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var unknown = names.Where(n => !byName.ContainsKey(n)).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"grad_params: not parameters of the model: {string.Join(", ", unknown)}");
        return names.Select(n => (n, byName[n].Param)).ToList();
    }
}
