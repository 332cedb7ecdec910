using static TorchSharp.torch;
using TorchSharp;

namespace Augment.Generator.Training;

/// <summary>Exponential moving average of the trained weights; sampling uses these, not the raw weights.</summary>
public sealed class Ema(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Param)> parameters, double decay)
{
    readonly Dictionary<string, Tensor> shadow = parameters.ToDictionary(p => p.Name, p => p.Param.clone().detach_());

    public void Update()
    {
        using var _ = no_grad();
        using Scalar keep = decay, take = 1 - decay;
        foreach (var (name, p) in parameters) shadow[name].mul_(keep).add_(p, alpha: take);
    }

    public IEnumerable<(string Name, Tensor Value)> State() => shadow.Select(kv => ("ema/" + kv.Key, kv.Value));

    public void Load(IReadOnlyDictionary<string, Tensor> archive)
    {
        using var _ = no_grad();
        foreach (var name in shadow.Keys) shadow[name].copy_(archive["ema/" + name]);
    }
}
