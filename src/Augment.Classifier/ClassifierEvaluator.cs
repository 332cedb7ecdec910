using Augment.Data.Numerics;
using Augment.Classifier.Models;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Classifier;

/// <summary>Scores a split with a trained classifier and writes metrics.json, predictions.csv and confusion.png.</summary>
public static class ClassifierEvaluator
{
    public static EvaluationMetrics Evaluate(string checkpoint, Dataset dataset, string split, ClipSpec spec, ClipCache cache, string outDir, string device = "auto", int threads = 1)
    {
        using var _threads = new TorchThreads(threads);
        using var tensors = torch.NewDisposeScope(); // no tensor left to the finalizer thread (see ClassifierTrainer.Train)
        var (model, state) = Checkpoint.Load(checkpoint);
        using var _ = model;
        if (!state.Classes.SequenceEqual(dataset.Classes))
            throw new InvalidDataException($"{checkpoint}: trained on classes [{string.Join(", ", state.Classes)}] but dataset '{dataset.Name}' has [{string.Join(", ", dataset.Classes)}]");
        if ((spec.Frames, spec.Height, spec.Width) != (state.Spec.Frames, state.Spec.Height, state.Spec.Width))
            throw new ArgumentException($"{checkpoint}: trained on {state.Spec.Frames}x{state.Spec.Height}x{state.Spec.Width} clips, asked to evaluate {spec.Frames}x{spec.Height}x{spec.Width}; use the training clip size");
        var clips = dataset.Split(split).ToList();
        if (clips.Count == 0) throw new InvalidOperationException($"dataset '{dataset.Name}' has no clips in split '{split}'");
        // The test views the model was trained with (classifier.test_views), so `augment evaluate` scores as the run did.
        var o = state.Options;
        var views = o is null || o.TestClips * o.TestCrops == 1 ? null : new TestViews(o.TestClips, o.TestCrops, spec.Frames, spec.Height, spec.Width);
        using var set = ClipSet.Load(clips, dataset.Classes, views?.DecodeSpec(spec) ?? spec, cache);
        var target = TorchDevice.Resolve(device);
        model.to(target);
        return Score(model, set, target, outDir, $"{dataset.Name} {split} ({views?.Describe ?? "1 view"})", views: views);
    }

    /// <summary>Evaluates an in-memory model on a loaded split and writes its result files into outDir.</summary>
    internal static EvaluationMetrics Score(VideoClassifier model, ClipSet set, Device device, string outDir, string title, int batchSize = 32, TestViews? views = null)
    {
        if (set.Count == 0) throw new InvalidOperationException($"{title}: no readable clips to evaluate");
        var (scores, loss) = Predict(model, set, device, batchSize, views);
        // Non-finite scores would still argmax to some class and give plausible-looking metrics: redo once, then refuse.
        if (!double.IsFinite(loss)) (scores, loss) = Predict(model, set, device, batchSize, views);
        if (!double.IsFinite(loss)) throw new InvalidOperationException($"{title}: the model's scores are not finite (twice in a row); run 'augment doctor'");
        var metrics = Metrics.ComputePerVideo(set.Classes, set.Clips.Select(c => c.VideoId).ToList(), set.Labels, scores) with
        {
            Views = views?.Describe ?? "1 view",
        };
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteJson(Path.Combine(outDir, ResultFiles.MetricsJson), metrics);
        PredictionsCsv.Write(Path.Combine(outDir, PredictionsCsv.FileName), metrics.Classes, set.Clips, set.Labels, scores);
        ResultFiles.WriteConfusionPng(Path.Combine(outDir, ResultFiles.ConfusionPng), metrics, title);
        return metrics;
    }

    /// <summary>
    /// Softmax scores per clip and the mean cross-entropy, in eval mode without gradients or augmentation. With views
    /// (MMAction2's average_clips='prob') a clip's score is the mean of its views' softmax and the loss that mean's NLL.
    /// </summary>
    internal static (float[][] Scores, double MeanLoss) Predict(VideoClassifier model, ClipSet set, Device device, int batchSize, TestViews? views = null)
    {
        var preprocessing = Preprocessing.For(model.Config);
        model.eval();
        var dtype = model.parameters().First().dtype;
        var scores = new float[set.Count][];
        double lossSum = 0;
        using var noGrad = no_grad();
        foreach (var rows in Enumerable.Range(0, set.Count).Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var y = tensor(rows.Select(r => (long)set.Labels[r]).ToArray(), device: device);
            Tensor probs;
            if (views is null)
            {
                var logits = model.call(ClipBatcher.Make(set, rows, device, preprocessing: preprocessing).to(dtype)).to(ScalarType.Float32);
                lossSum += nn.functional.cross_entropy(logits, y, reduction: nn.Reduction.Sum).item<float>();
                probs = nn.functional.softmax(logits, 1).cpu();
            }
            else
            {
                var sum = zeros(rows.Length, set.Classes.Count, device: device);
                for (int c = 0; c < views.Clips; c++)
                    for (int crop = 0; crop < views.Crops; crop++)
                        sum.PlusInPlace(nn.functional.softmax(model.call(ClipBatcher.View(set, rows, device, views, c, crop, preprocessing).to(dtype)).to(ScalarType.Float32), 1));
                var mean = sum.DividedBy(views.Count);
                lossSum += nn.functional.nll_loss(mean.ClampedMin(1e-12).log(), y, reduction: nn.Reduction.Sum).item<float>();
                probs = mean.cpu();
            }
            int k = (int)probs.shape[1];
            var flat = probs.data<float>().ToArray();
            for (int i = 0; i < rows.Length; i++) scores[rows[i]] = flat.AsSpan(i * k, k).ToArray();
        }
        return (scores, lossSum / set.Count);
    }
}
