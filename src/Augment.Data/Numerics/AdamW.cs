using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Data.Numerics;

/// <summary>
/// AdamW (decoupled weight decay) over named parameters in groups, each with its own learning rate; the update is
/// PyTorch's (and TorchSharp's) step for step. Written out for two reasons: its state (moments + step) goes into the
/// checkpoints beside the weights, so a resumed run continues bit-identically; and it holds every Scalar it passes to
/// libtorch until the step ends, which TorchSharp's own optimizers do not (see <see cref="HeldScalars"/>).
/// </summary>
public sealed class AdamW : IDisposable
{
    /// <summary>Parameters that share a learning rate (set it before each step to follow a schedule).</summary>
    public sealed class Group(IReadOnlyList<(string Name, Parameter Param)> parameters, double learningRate)
    {
        public IReadOnlyList<(string Name, Parameter Param)> Parameters { get; } = parameters;
        public double LearningRate { get; set; } = learningRate;
    }

    readonly double weightDecay, beta1, beta2, eps;
    readonly Dictionary<string, Tensor> m = [], v = [];

    public IReadOnlyList<Group> Groups { get; }
    public int StepCount { get; private set; }

    public AdamW(IReadOnlyList<Group> groups, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        (Groups, this.weightDecay, this.beta1, this.beta2, this.eps) = (groups, weightDecay, beta1, beta2, eps);
        foreach (var (name, p) in groups.SelectMany(g => g.Parameters))
        {
            if (m.ContainsKey(name)) throw new ArgumentException($"parameter '{name}' is in two AdamW groups");
            m[name] = zeros_like(p);
            v[name] = zeros_like(p);
        }
    }

    /// <summary>One group at one learning rate.</summary>
    public AdamW(IReadOnlyList<(string Name, Parameter Param)> parameters, double lr, double weightDecay)
        : this([new Group(parameters, lr)], weightDecay) { }

    /// <summary>One step; a parameter without a gradient is left as it is.</summary>
    public void Step()
    {
        StepCount++;
        double c1 = 1 - Math.Pow(beta1, StepCount), c2 = 1 - Math.Pow(beta2, StepCount);
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using Scalar b1 = beta1, a1 = 1 - beta1, b2 = beta2, a2 = 1 - beta2, e = eps, root2 = Math.Sqrt(c2);
        foreach (var group in Groups)
        {
            using Scalar decay = 1 - group.LearningRate * weightDecay, stepSize = -(group.LearningRate / c1);
            foreach (var (name, p) in group.Parameters)
            {
                if (p.grad is not { } g) continue;
                if (weightDecay != 0) p.mul_(decay);
                m[name].mul_(b1).add_(g, alpha: a1);
                v[name].mul_(b2).addcmul_(g, g, value: a2);
                p.addcdiv_(m[name], v[name].sqrt().div_(root2).add_(e, HeldScalars.One), value: stepSize);
            }
        }
    }

    public void ZeroGrad()
    {
        foreach (var (_, p) in Groups.SelectMany(g => g.Parameters)) p.grad?.zero_();
    }

    /// <summary>The moments as named tensors (adam_m/…, adam_v/…), for a checkpoint beside the weights.</summary>
    public IEnumerable<(string Name, Tensor Value)> State() =>
        m.Select(kv => ("adam_m/" + kv.Key, kv.Value)).Concat(v.Select(kv => ("adam_v/" + kv.Key, kv.Value)));

    /// <summary>Restores what <see cref="State"/> gave, after <paramref name="step"/> steps; every moment must be there, in its shape.</summary>
    public void Load(IReadOnlyDictionary<string, Tensor> archive, int step)
    {
        using var _ = no_grad();
        foreach (var (key, moment) in State())
        {
            if (!archive.TryGetValue(key, out var saved)) throw new InvalidDataException($"optimizer state has no '{key}'");
            if (!saved.shape.SequenceEqual(moment.shape))
                throw new InvalidDataException($"optimizer state '{key}' is [{string.Join(",", saved.shape)}], the parameter [{string.Join(",", moment.shape)}]");
            moment.copy_(saved);
        }
        StepCount = step;
    }

    /// <summary>The state in a binary stream: step count, then each moment by name.</summary>
    public void Save(BinaryWriter writer)
    {
        var state = State().ToList();
        writer.Write(StepCount);
        writer.Write(state.Count);
        foreach (var (name, value) in state)
        {
            writer.Write(name);
            value.Save(writer);
        }
    }

    /// <summary>Reads what <see cref="Save(BinaryWriter)"/> wrote.</summary>
    public void Load(BinaryReader reader)
    {
        int step = reader.ReadInt32(), count = reader.ReadInt32();
        var moments = State().ToDictionary(s => s.Name, s => s.Value);
        if (count != moments.Count) throw new InvalidDataException($"optimizer state holds {count} moments, the parameters need {moments.Count}");
        var archive = new Dictionary<string, Tensor>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var key = reader.ReadString();
                if (!moments.TryGetValue(key, out var moment)) throw new InvalidDataException($"optimizer state names '{key}', which is no parameter here");
                var saved = archive[key] = empty_like(moment);
                saved.Load(reader);
            }
            Load(archive, step);
        }
        finally
        {
            foreach (var t in archive.Values) t.Dispose();
        }
    }

    public void Dispose()
    {
        foreach (var t in m.Values.Concat(v.Values)) t.Dispose();
    }
}
