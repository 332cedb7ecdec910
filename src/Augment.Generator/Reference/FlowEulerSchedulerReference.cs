using Augment.Data.Weights;
using Augment.Generator.Schedulers;
using static TorchSharp.torch;

namespace Augment.Generator.Reference;

/// <summary>
/// <c>flow-euler-scheduler</c> for `augment models forward`: for <c>set_timesteps(num_inference_steps)</c> and for
/// <c>set_timesteps(sigmas=linspace(1,0,n+1)[:-1])</c> (suffix <c>_linear_sigmas</c>) writes <c>timesteps</c>,
/// <c>sigmas</c>, <c>output</c> = one Euler step at <c>step_index</c> and <c>noised</c> = scale_noise at that step.
/// </summary>
public sealed class FlowEulerSchedulerReference : IReferenceModel
{
    public string Name => "flow-euler-scheduler";

    public IReadOnlyDictionary<string, Tensor> Run(ReferenceCase c)
    {
        int n = (int)Scalar(c, "num_inference_steps"), k = (int)Scalar(c, "step_index");
        using var sample = c.Input("sample");
        using var modelOutput = c.Input("model_output");
        using var noise = c.Input("noise");
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (tag, linear) in new[] { ("", false), ("_linear_sigmas", true) })
        {
            var scheduler = FlowMatchEulerDiscreteScheduler.FromJson(c.Model, "--config");
            if (linear) scheduler.SetLinearTimesteps(n);
            else scheduler.SetTimesteps(n);
            outputs["timesteps" + tag] = tensor(scheduler.Timesteps);
            outputs["sigmas" + tag] = tensor(scheduler.Sigmas);
            // As the kit calls it: step(model_output, timesteps[k], sample), which finds its index from the value.
            int index = scheduler.IndexFor(scheduler.Timesteps[k]);
            outputs["output" + tag] = scheduler.Step(modelOutput, index, sample);
            outputs["noised" + tag] = scheduler.ScaleNoise(sample, index, noise);
        }
        return outputs;
    }

    static long Scalar(ReferenceCase c, string name)
    {
        using var t = c.Input(name);
        return t.to(ScalarType.Int64).item<long>();
    }
}
