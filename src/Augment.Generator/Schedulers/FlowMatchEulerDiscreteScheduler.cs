using System.Text.Json.Nodes;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Generator.Schedulers;

/// <summary>
/// Port of diffusers' FlowMatchEulerDiscreteScheduler (the defaults plus <c>shift</c>; the dynamic-shifting, terminal,
/// Karras/exponential/beta, inverted and stochastic variants are refused). The grid is computed with the exact
/// precisions diffusers uses, so timesteps and sigmas match it bit for bit:
/// <list type="bullet">
/// <item><c>SetTimesteps(n)</c>: float64 numpy linspace from σ_max·N to σ_min·N (σ_min being the float32-shifted 1/N of
/// the training grid, so the shift applies twice at the low end), shifted in float64, stored as float32;</item>
/// <item><c>SetTimesteps(sigmas)</c> (HunyuanVideoPipeline passes linspace(1,0,n+1)[:-1]): the sigmas in float32,
/// shifted in float32;</item>
/// </list>
/// timesteps = σ·N in float32, and σ = 0 is appended. Step and noising are <see cref="FlowMatching"/>'s Euler step and
/// interpolation in float32.
/// </summary>
public sealed class FlowMatchEulerDiscreteScheduler
{
    public int NumTrainTimesteps { get; }
    public double ShiftValue { get; }
    /// <summary>The current grid, after a SetTimesteps.</summary>
    public float[] Timesteps { get; private set; } = [];
    /// <summary>The current σ grid, one longer than <see cref="Timesteps"/> (the final 0).</summary>
    public float[] Sigmas { get; private set; } = [];
    readonly double sigmaMin, sigmaMax;

    public FlowMatchEulerDiscreteScheduler(int numTrainTimesteps = 1000, double shift = 1.0)
    {
        if (numTrainTimesteps < 1) throw new ArgumentException($"num_train_timesteps must be at least 1, not {numTrainTimesteps}");
        if (!(shift > 0)) throw new ArgumentException($"shift must be positive, not {shift}");
        NumTrainTimesteps = numTrainTimesteps;
        ShiftValue = shift;
        // The training grid: t = N … 1 (float32), σ = t/N shifted in float32; only its ends are kept.
        float first = FlowMatching.Shift(1f, (float)shift), last = FlowMatching.Shift(1f / numTrainTimesteps, (float)shift);
        (sigmaMax, sigmaMin) = (first, last);
    }

    static readonly HashSet<string> Unsupported = ["use_dynamic_shifting", "invert_sigmas", "shift_terminal", "use_karras_sigmas",
        "use_exponential_sigmas", "use_beta_sigmas", "stochastic_sampling"];
    static readonly HashSet<string> Inert = ["base_shift", "max_shift", "base_image_seq_len", "max_image_seq_len", "time_shift_type"];

    /// <summary>From diffusers' <c>scheduler_config.json</c> (or the kit's <c>model</c> object).</summary>
    public static FlowMatchEulerDiscreteScheduler FromJson(JsonObject json, string source)
    {
        int n = 1000;
        double shift = 1.0;
        foreach (var (key, node) in json)
        {
            if (key.StartsWith('_') || Inert.Contains(key)) continue;
            try
            {
                switch (key)
                {
                    case "num_train_timesteps": n = node!.GetValue<int>(); break;
                    case "shift": shift = node!.GetValue<double>(); break;
                    case var k when Unsupported.Contains(k):
                        if (node is null || node.GetValueKind() == System.Text.Json.JsonValueKind.False) break;
                        throw new InvalidDataException($"{source}: {key} = {node.ToJsonString()} is not supported (only the plain shifted schedule is)");
                    default: throw new InvalidDataException($"{source}: unknown FlowMatchEulerDiscreteScheduler setting '{key}'");
                }
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{source}: {key} has the wrong type ({e.Message})");
            }
        }
        return new FlowMatchEulerDiscreteScheduler(n, shift);
    }

    /// <summary>diffusers' <c>set_timesteps(num_inference_steps)</c>.</summary>
    public void SetTimesteps(int steps)
    {
        if (steps < 1) throw new ArgumentException($"num_inference_steps must be at least 1, not {steps}");
        var t = Linspace(sigmaMax * NumTrainTimesteps, sigmaMin * NumTrainTimesteps, steps);
        Set(t.Select(v => (float)FlowMatching.Shift(v / NumTrainTimesteps, ShiftValue)).ToArray());
    }

    /// <summary>diffusers' <c>set_timesteps(sigmas=…)</c>: custom σ values (float32), shifted in float32.</summary>
    public void SetTimesteps(IReadOnlyList<double> sigmas)
    {
        if (sigmas.Count < 1) throw new ArgumentException("sigmas must not be empty");
        Set(sigmas.Select(s => FlowMatching.Shift((float)s, (float)ShiftValue)).ToArray());
    }

    /// <summary>σ = linspace(1, 0, n+1)[:-1], what HunyuanVideoPipeline passes.</summary>
    public void SetLinearTimesteps(int steps)
    {
        if (steps < 1) throw new ArgumentException($"num_inference_steps must be at least 1, not {steps}");
        SetTimesteps(Linspace(1.0, 0.0, steps + 1)[..^1]);
    }

    void Set(float[] sigmas)
    {
        Timesteps = sigmas.Select(s => s * NumTrainTimesteps).ToArray();
        Sigmas = [.. sigmas, 0f];
    }

    /// <summary>diffusers' index_for_timestep: the first match, or the second when the value repeats.</summary>
    public int IndexFor(float timestep)
    {
        var matches = Enumerable.Range(0, Timesteps.Length).Where(i => Timesteps[i] == timestep).ToList();
        return matches.Count switch
        {
            0 => throw new ArgumentException($"timestep {timestep} is not on the scheduler's grid"),
            1 => matches[0],
            _ => matches[1],
        };
    }

    /// <summary>One Euler step from grid point <paramref name="index"/> to the next: x + (σ_{k+1} − σ_k)·v, in float32,
    /// returned in the model output's dtype.</summary>
    public Tensor Step(Tensor modelOutput, int index, Tensor sample)
    {
        CheckIndex(index);
        using var x = sample.to(ScalarType.Float32);
        return FlowMatching.EulerStep(x, modelOutput, Sigmas[index + 1] - Sigmas[index]).to(modelOutput.dtype);
    }

    /// <summary>diffusers' scale_noise: σ_k·noise + (1 − σ_k)·sample, in the sample's dtype.</summary>
    public Tensor ScaleNoise(Tensor sample, int index, Tensor noise)
    {
        CheckIndex(index);
        using var sigma = HeldScalars.Full([sample.shape[0]], Sigmas[index], sample.dtype, sample.device);
        return FlowMatching.Interpolate(sample, noise, sigma);
    }

    void CheckIndex(int index)
    {
        if (Timesteps.Length == 0) throw new InvalidOperationException("call SetTimesteps before stepping");
        if (index < 0 || index >= Timesteps.Length) throw new ArgumentOutOfRangeException(nameof(index), $"step index {index} is outside 0..{Timesteps.Length - 1}");
    }

    /// <summary>numpy.linspace in float64: start + i·step with step = (stop − start)/(n − 1), the last point exactly stop.</summary>
    static double[] Linspace(double start, double stop, int n)
    {
        if (n == 1) return [start];
        double step = (stop - start) / (n - 1);
        var y = new double[n];
        for (int i = 0; i < n; i++) y[i] = i * step + start;
        y[^1] = stop;
        return y;
    }
}
