using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Generator;

/// <summary>
/// Rectified flow, in the convention used throughout: t = 0 is data, t = 1 is noise,
/// x_t = (1−t)·x0 + t·ε, and the model predicts the constant velocity v = dx_t/dt = ε − x0.
/// Sampling integrates from t = 1 down to t = 0.
/// </summary>
public static class FlowMatching
{
    public static Tensor Interpolate(Tensor x0, Tensor noise, Tensor t)
    {
        var tb = Broadcast(t, x0);
        return (tb.SubtractedFrom(1) * x0).Plus(tb * noise);
    }

    public static Tensor VelocityTarget(Tensor x0, Tensor noise) => noise - x0;

    /// <summary>
    /// Timestep shift t' = s·t / (1 + (s−1)·t): s &gt; 1 spends more of the schedule at high noise, which large
    /// (many-pixel) videos need; the paper samples with s = 7.
    /// </summary>
    public static double Shift(double t, double s) => s * t / (1 + (s - 1) * t);

    public static Tensor Shift(Tensor t, double s) => t.Times(s) / t.Times(s - 1).Plus(1);

    /// <summary>The shift in float32 arithmetic (how diffusers shifts float32 σ grids).</summary>
    public static float Shift(float t, float s) => s * t / (1 + (s - 1) * t);

    /// <summary>Classifier-free guidance: v_uncond + g·(v_cond − v_uncond).</summary>
    public static Tensor Guide(Tensor cond, Tensor uncond, double scale) => uncond.Plus((cond - uncond).Times(scale));

    /// <summary>One Euler step of the flow ODE: x + dt·v.</summary>
    public static Tensor EulerStep(Tensor x, Tensor velocity, double dt) => x.Plus(velocity.Times(dt));

    /// <summary>Training times: logit-normal (σ(N(0,1)), SD3/HunyuanVideo) or uniform, then shifted.</summary>
    public static Tensor SampleTimes(long n, string mode, double shift, TorchSharp.torch.Generator generator) => mode switch
    {
        "logit-normal" => Shift(sigmoid(randn(n, generator: generator)), shift),
        "uniform" => Shift(rand(n, generator: generator), shift),
        _ => throw new ArgumentException($"time sampling must be logit-normal or uniform, not '{mode}'"),
    };

    /// <summary>The sampler's time grid from 1 to 0 (steps+1 points), shifted.</summary>
    public static double[] TimeGrid(int steps, double shift) =>
        Enumerable.Range(0, steps + 1).Select(i => Shift(1.0 - (double)i / steps, shift)).ToArray();

    public static Tensor Loss(Tensor predictedVelocity, Tensor x0, Tensor noise) =>
        nn.functional.mse_loss(predictedVelocity, VelocityTarget(x0, noise));

    static Tensor Broadcast(Tensor t, Tensor like) => t.reshape(new long[] { t.shape[0] }.Concat(Enumerable.Repeat(1L, (int)like.dim() - 1)).ToArray());
}
