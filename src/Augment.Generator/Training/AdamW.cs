using TorchSharp;
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
        // TorchSharp's Scalars are in no dispose scope: one made implicitly from a double is unreachable once its handle
        // is in the native call, and a collection on another thread may free it mid-call (a corrupt Scalar in addcmul_
        // failed a suite run). These stay referenced until the step ends.
        using Scalar b1 = beta1, a1 = 1 - beta1, b2 = beta2, a2 = 1 - beta2, decay = 1 - lr * weightDecay, e = eps,
            bias2 = c2, stepSize = -lr / c1;
        foreach (var (name, p) in parameters)
        {
            if (p.grad is null) continue;
            var g = p.grad;
            m[name].mul_(b1).add_(g, alpha: a1);
            v[name].mul_(b2).addcmul_(g, g, value: a2);
            if (weightDecay > 0) p.mul_(decay);
            p.addcdiv_(m[name], (v[name] / bias2).sqrt_().add_(e), value: stepSize);
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
