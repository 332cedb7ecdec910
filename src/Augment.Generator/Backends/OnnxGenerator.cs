using Augment.Data;
using Augment.Data.Video;
using Augment.Generator.Models.Native;
using Augment.Generator.Sampling;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using static TorchSharp.torch;

namespace Augment.Generator.Backends;

/// <summary>
/// An exported denoiser run by ONNX Runtime inside the same flow-matching sampler as the native model.
/// The graph must have
///   inputs  x_t   float32 [B, 3, T, H, W]  (pixels scaled to [-1,1]; t = 1 is pure noise, t = 0 is data),
///           t     float32 [B]              (flow time in [0,1]),
///           cond  float32 [B, V]           (the prompt as a normalised bag of hashed words, <see cref="PromptBag"/>;
///                                           an all-zero row is the unconditional branch),
///   output  velocity float32 [B, 3, T, H, W]  (v = ε − x0, rectified-flow convention of <see cref="FlowMatching"/>).
/// T, H, W and V are read from the graph when fixed there; symbolic ones come from the config's model size.
/// </summary>
public sealed class OnnxGenerator : IVideoGenerator, IDisposable
{
    public const string InputX = "x_t", InputT = "t", InputCond = "cond", OutputVelocity = "velocity";

    readonly InferenceSession session;
    readonly GeneratorConfig config;
    readonly int frames, height, width, buckets;

    // The CUDA execution provider exists only in the GPU package (-p:AugmentDevice=cuda); device 0 is the first GPU
    // CUDA_VISIBLE_DEVICES leaves visible, as Slurm sets it per task.
    static SessionOptions SessionOptionsFor(string device)
    {
        var options = new SessionOptions();
#if AUGMENT_CUDA
        if (device != "cpu") options.AppendExecutionProvider_CUDA(0);
#else
        if (device == "cuda")
            throw new InvalidOperationException("generator device cuda: this build has the CPU ONNX Runtime; build with -p:AugmentDevice=cuda (Microsoft.ML.OnnxRuntime.Gpu from your own feed).");
#endif
        return options;
    }

    public OnnxGenerator(string name, string onnxPath, GeneratorConfig config)
    {
        Name = name;
        this.config = config;
        if (!File.Exists(onnxPath)) throw new FileNotFoundException($"{onnxPath}: ONNX denoiser not found", onnxPath);
        try { session = new InferenceSession(onnxPath, SessionOptionsFor(config.Device)); }
        catch (OnnxRuntimeException e) { throw new InvalidDataException($"{onnxPath}: ONNX Runtime cannot load it: {e.Message}", e); }
        foreach (var input in new[] { InputX, InputT, InputCond })
            if (!session.InputMetadata.ContainsKey(input))
                throw new InvalidDataException($"{onnxPath}: the graph has no input '{input}' (inputs: {string.Join(", ", session.InputMetadata.Keys)}); expected x_t, t, cond");
        if (!session.OutputMetadata.ContainsKey(OutputVelocity))
            throw new InvalidDataException($"{onnxPath}: the graph has no output '{OutputVelocity}' (outputs: {string.Join(", ", session.OutputMetadata.Keys)})");
        var x = session.InputMetadata[InputX].Dimensions;
        var c = session.InputMetadata[InputCond].Dimensions;
        if (x.Length != 5 || c.Length != 2) throw new InvalidDataException($"{onnxPath}: x_t must be 5-D [B,3,T,H,W] and cond 2-D [B,V]");
        int Fixed(int dim, int fallback) => dim > 0 ? dim : fallback;
        frames = Fixed(x[2], config.Model.Frames);
        height = Fixed(x[3], config.Model.Height);
        width = Fixed(x[4], config.Model.Width);
        buckets = Fixed(c[1], config.Model.PromptBuckets);
        CheckpointHash = FileHash.Short(onnxPath);
    }

    public string Name { get; }
    public string CheckpointHash { get; }

    public GenerationResult Generate(GenerationRequest request, IProgress<double>? progress = null, CancellationToken cancel = default) =>
        GenerationRun.Execute(this, request, ClipSettings.Of(config.Sampler), job => Sample(job.Prompt, job.Seed), progress, cancel);

    public Clip Sample(string prompt, long seed)
    {
        using var scope = NewDisposeScope();
        using var rng = new TorchSharp.torch.Generator((ulong)seed);
        var noise = randn(new long[] { 1, 3, frames, height, width }, generator: rng);
        var bags = PromptBag.Batch([prompt], buckets);
        var x = FlowSampler.Sample(Velocity, noise, bags, config.Sampler);
        return ClipTensors.FromModel(x[0], frames, height, width);
    }

    Tensor Velocity(Tensor xt, Tensor t, Tensor bags)
    {
        var inputs = new[]
        {
            NamedOnnxValue.CreateFromTensor(InputX, ToOnnx(xt)),
            NamedOnnxValue.CreateFromTensor(InputT, ToOnnx(t)),
            NamedOnnxValue.CreateFromTensor(InputCond, ToOnnx(bags)),
        };
        using var results = session.Run(inputs, [OutputVelocity]);
        var v = results.First().AsTensor<float>();
        if (!v.Dimensions.ToArray().Select(d => (long)d).SequenceEqual(xt.shape))
            throw new InvalidDataException($"ONNX denoiser returned velocity [{string.Join(",", v.Dimensions.ToArray())}] for x_t [{string.Join(",", xt.shape)}]");
        return tensor(v.ToArray(), xt.shape);
    }

    static DenseTensor<float> ToOnnx(Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        return new DenseTensor<float>(c.data<float>().ToArray(), c.shape.Select(d => (int)d).ToArray());
    }

    public void Dispose() => session.Dispose();
}
