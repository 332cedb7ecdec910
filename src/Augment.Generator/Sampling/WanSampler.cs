using Augment.Generator.Models.Wan;
using Augment.Generator.Schedulers;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Generator.Sampling;

/// <summary>
/// The denoising loop of diffusers' WanPipeline (after the text encoder, before the VAE): per scheduler timestep the
/// transformer on the latents with the prompt and, with guidance, with the negative prompt, combined by
/// <see cref="FlowMatching.Guide"/>, then one scheduler step. Latents stay float32 between steps (the scheduler upcasts);
/// the transformer sees them in its own dtype.
/// </summary>
public static class WanSampler
{
    /// <param name="latents">the starting noise [B,C,F,H,W] (seeded by the caller)</param>
    /// <param name="prompt">prompt embeddings [B,L,text_dim]</param>
    /// <param name="negative">negative-prompt embeddings, or null for no guidance</param>
    public static Tensor Sample(WanTransformer3DModel model, FlowMatchEulerDiscreteScheduler scheduler, int steps,
        Tensor latents, Tensor prompt, Tensor? negative, double guidanceScale)
    {
        if (negative is null && guidanceScale != 1.0) throw new ArgumentException("classifier-free guidance needs negative-prompt embeddings");
        scheduler.SetTimesteps(steps);
        var dtype = model.Weights.dtype;
        using var _ = no_grad();
        var x = latents.to(ScalarType.Float32).clone();
        for (int i = 0; i < scheduler.Timesteps.Length; i++)
        {
            using var scope = NewDisposeScope();
            var input = x.to(dtype);
            var timestep = HeldScalars.Full([x.shape[0]], scheduler.Timesteps[i], ScalarType.Float32, x.device);
            var velocity = model.forward(input, timestep, prompt.to(dtype));
            if (negative is not null && guidanceScale != 1.0)
                velocity = FlowMatching.Guide(velocity, model.forward(input, timestep, negative.to(dtype)), guidanceScale);
            var next = scheduler.Step(velocity, i, x).to(ScalarType.Float32);
            x.Dispose();
            x = next.MoveToOuterDisposeScope();
        }
        return x;
    }
}
