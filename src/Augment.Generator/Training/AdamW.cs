using static TorchSharp.torch;

namespace Augment.Generator.Training;

/// <summary>
/// AdamW (decoupled weight decay) over named parameters. Written out so its state (moments + step) goes into the same
/// checkpoint as the weights and a resumed run continues bit-identically.
/// </summary>
public sealed class AdamW(IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Param)> parameters,
    double lr, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
{
    readonly Dictionary<string, Tensor> m = parameters.ToDictionary(p => p.Name, p => zeros_like(p.Param));
    readonly Dictionary<string, Tensor> v = parameters.ToDictionary(p => p.Name, p => zeros_like(p.Param));

    public int StepCount { get; private set; }

    public void Step()
    {
        StepCount++;
        double c1 = 1 - Math.Pow(beta1, StepCount), c2 = 1 - Math.Pow(beta2, StepCount);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        foreach (var (name, p) in parameters)
        {
            if (p.grad is null) continue;
            var g = p.grad;
            m[name].mul_(beta1).add_(g, alpha: 1 - beta1);
            v[name].mul_(beta2).addcmul_(g, g, value: 1 - beta2);
            if (weightDecay > 0) p.mul_(1 - lr * weightDecay);
            p.addcdiv_(m[name], (v[name] / c2).sqrt_().add_(eps), value: -lr / c1);
        }
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in parameters) p.grad?.zero_();
    }

    public IEnumerable<(string Name, Tensor Value)> State() =>
        m.Select(kv => ("adam_m/" + kv.Key, kv.Value)).Concat(v.Select(kv => ("adam_v/" + kv.Key, kv.Value)));

    public void Load(IReadOnlyDictionary<string, Tensor> archive, int step)
    {
        using var _ = no_grad();
        foreach (var (name, _) in parameters)
        {
            m[name].copy_(archive["adam_m/" + name]);
            v[name].copy_(archive["adam_v/" + name]);
        }
        StepCount = step;
    }
}
