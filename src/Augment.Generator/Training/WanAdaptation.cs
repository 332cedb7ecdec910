using System.Diagnostics;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Generator.Adapters;
using Augment.Generator.Backends;
using Augment.Generator.Conditioning;
using Augment.Generator.Pipelines;
using static TorchSharp.torch;

namespace Augment.Generator.Training;

/// <summary>
/// MedGen for a <c>backend: wan</c> generator (<c>adapt: true</c>): a LoRA on the Wan2.1 transformer trained on every
/// training-split clip of a dataset, as the native adaptation does. Each clip is resized to the size the generator
/// samples at, encoded by the Wan VAE (posterior mean, then normalised as the pipeline's latents are) and paired with its
/// class prompt's embedding, looked up as <see cref="WanGenerator"/> looks it up; then <see cref="WanLoraTraining"/>
/// trains the adapters (base frozen in the generator's dtype, adapters float32) and the LoRA is saved in the PEFT format.
/// </summary>
public static class WanAdaptation
{
    public static TrainedCheckpoint Train(string generator, Dataset data, ClipSpec spec, ClipCache cache, WanOptions options, WanLoraTrainingConfig config,
        string loraPath, IProgress<TrainProgress>? progress = null, CancellationToken cancel = default)
    {
        if (!File.Exists(options.Prompts)) throw new FileNotFoundException($"{options.Prompts}: prompt-embeddings file not found", options.Prompts);
        using var scope = NewDisposeScope();
        var device = TorchDevice.Resolve(options.Device);
        using var pipeline = WanPipeline.Load(options.Weights, device, WanGenerator.DtypeOf(options, generator), vaeTiling: options.VaeTiling);
        using var embeddings = new PromptEmbeddings(options.Prompts);
        var (frames, height, width) = WanGenerator.ModelSize(pipeline, options, spec);
        long textDim = pipeline.Transformer.Config.TextDim;
        var texts = new Dictionary<string, Tensor>();
        var examples = new List<WanLoraExample>();
        var quarantined = new List<QuarantineEntry>();
        var clock = Stopwatch.StartNew();
        var clips = data.Split(Splits.Train).ToList();
        foreach (var clip in clips)
        {
            cancel.ThrowIfCancellationRequested();
            Clip pixels;
            try { pixels = cache.Get(clip, spec); }
            catch (VideoReadException e) { quarantined.Add(new QuarantineEntry(e.VideoPath, e.Problem, QuarantineKind.Unreadable)); continue; }
            if (!texts.TryGetValue(clip.Label, out var text)) texts[clip.Label] = text = WanGenerator.ClassPrompt(embeddings, data, clip.Label, textDim);
            // Latents are kept on the CPU (one clip at a time goes to the device), so a dataset need not fit next to the model.
            using (no_grad())
            using (var clipScope = NewDisposeScope())
            {
                var video = ClipTensors.ToModel(pixels, frames, height, width).unsqueeze(0).to(device);
                var latent = pipeline.Vae.Normalize(pipeline.Vae.Encode(video).Mean)[0].cpu();
                examples.Add(new WanLoraExample(latent.MoveToOuterDisposeScope(), text));
            }
            progress?.Report(new TrainProgress("wan-encode", examples.Count + quarantined.Count, clips.Count, double.NaN,
                clock.Elapsed.TotalSeconds / (examples.Count + quarantined.Count)));
        }
        if (examples.Count == 0) throw new InvalidOperationException($"no readable training clips in {data.Name}");
        // Beside the LoRA: a killed stage resumes from its last checkpoint.
        var losses = WanLoraTraining.Train(pipeline.Transformer, examples, config, progress, cancel, CheckpointPath(loraPath));
        PeftLora.Save(pipeline.Transformer, loraPath); // atomic: SafeTensorsFile.Write
        return new TrainedCheckpoint(loraPath, config.Steps, losses[^1], examples.Count, quarantined, 0);
    }

    /// <summary>Where the training of <paramref name="loraPath"/> keeps its resumable state (adapters and AdamW's moments).</summary>
    public static string CheckpointPath(string loraPath) => Path.ChangeExtension(loraPath, ".training.ckpt");
}
