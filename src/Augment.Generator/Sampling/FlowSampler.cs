using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Generator.Sampling;

/// <summary>A denoiser: velocity = f(x_t, t, prompt bags). The native model and the ONNX export both are one.</summary>
public delegate Tensor VelocityModel(Tensor xt, Tensor t, Tensor bags);

/// <summary>
/// Integrates the flow-matching ODE from noise (t = 1) to data (t = 0) on the shifted time grid with Euler or Heun steps
/// and classifier-free guidance v = v_null + g·(v_prompt − v_null); the null branch is the all-zero prompt bag.
/// </summary>
public static class FlowSampler
{
    public static Tensor Sample(VelocityModel model, Tensor noise, Tensor bags, SamplerConfig config)
    {
        if (config.Steps < 1) throw new ArgumentException($"sampler steps must be at least 1, not {config.Steps}");
        bool heun = config.Solver switch
        {
            "euler" => false,
            "heun" => true,
            _ => throw new ArgumentException($"sampler solver must be euler or heun, not '{config.Solver}'"),
        };
        var grid = FlowMatching.TimeGrid(config.Steps, config.Shift);
        using var _ = no_grad();
        var x = noise.clone();
        for (int i = 0; i < config.Steps; i++)
        {
            using var scope = NewDisposeScope();
            double t = grid[i], next = grid[i + 1], dt = next - t;
            var v = Guided(model, x, t, bags, config.Cfg);
            var stepped = FlowMatching.EulerStep(x, v, dt);
            if (heun && next > 0) stepped = x.Plus(v.Plus(Guided(model, stepped, next, bags, config.Cfg)).Times(dt * 0.5));
            x.Dispose();
            x = stepped.MoveToOuterDisposeScope();
        }
        return x;
    }

    /// <summary>Model evaluations per sampled clip (for FLOPs accounting).</summary>
    public static int Evaluations(SamplerConfig config) =>
        (config.Solver == "heun" ? 2 * config.Steps - 1 : config.Steps) * (config.Cfg == 1.0 ? 1 : 2);

    static Tensor Guided(VelocityModel model, Tensor x, double t, Tensor bags, double cfg)
    {
        long b = x.shape[0];
        var times = HeldScalars.Full([cfg == 1.0 ? b : 2 * b], t, ScalarType.Float32, x.device);
        if (cfg == 1.0) return model(x, times, bags);
        var v = model(cat(new[] { x, x }), times, cat(new[] { bags, zeros_like(bags) })).chunk(2);
        return FlowMatching.Guide(v[0], v[1], cfg);
    }
}
