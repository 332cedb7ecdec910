using System.Diagnostics;
using Augment.Classifier.Models;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Numerics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Augment.Synthetic;
using AdamW = Augment.Data.Numerics.AdamW;

namespace Augment.Classifier;

/// <summary>
/// Trains a video classifier on a real + synthetic mix, early-stops on validation macro-F1 and evaluates the best
/// epoch on the test split. Every epoch ends with an atomic last.ckpt (weights, optimizer, schedule position), so a
/// killed or cancelled run resumes where it stopped. Each epoch's sampling and augmentation are seeded from
/// (seed, epoch) alone, which makes a resumed run equal to an uninterrupted one on the CPU. A step whose loss or
/// gradient is not finite is skipped and counted (<see cref="StepGuard"/>); too many stop the run.
/// </summary>
public static class ClassifierTrainer
{
    public static TrainResult Train(TrainRequest request, IProgress<EpochReport>? progress = null, CancellationToken cancel = default)
    {
        var dataset = request.Dataset;
        var (trainRefs, plannedMix) = SyntheticMixer.Mix(dataset, request.Mix);
        var valRefs = dataset.Split(Splits.Val).ToList();
        var testRefs = dataset.Split(Splits.Test).ToList();
        if (valRefs.Count == 0) throw new InvalidOperationException($"dataset '{dataset.Name}' has no validation clips; early stopping needs a val split");
        if (testRefs.Count == 0) throw new InvalidOperationException($"dataset '{dataset.Name}' has no test clips to evaluate on");

        using var train = ClipSet.Load(trainRefs, dataset.Classes, request.Spec, request.Cache);
        using var val = ClipSet.Load(valRefs, dataset.Classes, request.Spec, request.Cache);
        // Test-time views need each test clip decoded longer (and wider) than a training clip.
        var testSpec = TestViewsOf(request.Options, request.Spec)?.DecodeSpec(request.Spec) ?? request.Spec;
        using var test = ClipSet.Load(testRefs, dataset.Classes, testSpec, request.Cache);
        var quarantined = train.Quarantined.Concat(val.Quarantined).Concat(test.Quarantined).ToList();
        Directory.CreateDirectory(request.OutDir);
        if (quarantined.Count > 0) AtomicFile.WriteJson(Path.Combine(request.OutDir, ResultFiles.QuarantineJson), quarantined);
        var mix = SyntheticMixer.Recount(plannedMix, dataset.Classes, train.Clips);
        return Train(train, val, test, mix, request.Options, request.OutDir, progress, cancel, request.Spec);
    }

    /// <summary>The training loop on clips already in memory.</summary>
    internal static TrainResult Train(ClipSet train, ClipSet val, ClipSet test, MixSummary mix, ClassifierOptions o, string outDir,
        IProgress<EpochReport>? progress = null, CancellationToken cancel = default, ClipSpec? clipSpec = null)
    {
        // Every tensor made below stays referenced until the call returns, then is freed here: none is left to the GC's
        // finalizer thread, which could free one while libtorch still reads it.
        using var tensors = torch.NewDisposeScope();
        if (train.Count == 0) throw new InvalidOperationException("no readable training clips");
        if (o.Epochs < 1 || o.BatchSize < 1) throw new ArgumentException("epochs and batch size must be at least 1");
        if (o.Balance is not ("sampler" or "weights" or "none")) throw new ArgumentException($"balance must be sampler, weights or none, not '{o.Balance}'");
        var classes = train.Classes;
        ComputePath.Ensure();
        using var threads = new TorchThreads(o.Threads);
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteJson(Path.Combine(outDir, ResultFiles.MixJson), mix);
        string lastPath = Path.Combine(outDir, ResultFiles.LastCheckpoint), bestPath = Path.Combine(outDir, ResultFiles.BestCheckpoint);

        var device = TorchDevice.Resolve(o.Device);
        // Weights, optimizer and checkpoints are always float32; bf16-mixed only computes in bfloat16 (Bf16Compute).
        bool bf16 = o.Precision switch
        {
            "auto" => device.type == DeviceType.CUDA,
            "bf16-mixed" => true,
            "fp32" => false,
            _ => throw new ArgumentException($"precision must be auto, fp32 or bf16-mixed, not '{o.Precision}'"),
        };
        long t = train.Pixels.shape[1], h = train.Pixels.shape[2], w = train.Pixels.shape[3];
        var spec = clipSpec ?? new ClipSpec((int)t, (int)h, (int)w);
        // A pretrained backbone sees its weights' crop size (the clips are resized for it) unless the config sets the crop;
        // Augment's models see the clip itself.
        var weightsInput = Preprocessing.For(o.Model);
        int inputH = weightsInput is null ? (int)h : o.Crop ?? weightsInput.CropHeight, inputW = weightsInput is null ? (int)w : o.Crop ?? weightsInput.CropWidth;
        var config = new ModelConfig(o.Model, classes.Count, o.Width, o.Depth, (int)t, inputH, inputW, o.Mean, o.Std);
        var preprocessing = Preprocessing.For(config);

        VideoClassifier model;
        AdamW optimizer;
        CheckpointState state;
        if (o.Resume && File.Exists(lastPath))
        {
            AdamW? restored = null;
            (model, state) = Checkpoint.Load(lastPath, m => restored = NewOptimizer(m.to(device), o));
            optimizer = restored!;
            if (!state.Classes.SequenceEqual(classes) || state.Model != config)
            {
                optimizer.Dispose();
                model.Dispose();
                throw new InvalidOperationException($"{lastPath}: was trained with a different model or class list; use a new --out folder or drop --resume");
            }
            // The epochs the checkpoint holds are reported again, so a listener that missed one (a process killed
            // between last.ckpt and its log call) catches up; listeners skip what they already have.
            foreach (var done in state.History) progress?.Report(done);
        }
        else
        {
            TorchDevice.Seed(Seeds.Derive(o.Seed, "classifier-init"));
            model = ClassifierModels.Create(config);
            FineTuning.Validate(model, o);
            if (o.Weights is not null)
                AtomicFile.WriteJson(Path.Combine(outDir, ResultFiles.PretrainedJson), PretrainedWeights.Load(model, o.Weights));
            model.to(device);
            optimizer = NewOptimizer(model, o);
            state = new CheckpointState { Model = config, Classes = classes, Spec = spec, Precision = "float32", Options = o };
        }
        using var _ = model;
        using var __ = optimizer;
        using var low = bf16 ? new Bf16Compute(model, config, device) : null;

        var counts = train.CountPerClass();
        using var classWeights = o.Balance switch
        {
            // Inverse frequency, normalised so a balanced set gets weight 1 everywhere.
            "weights" => tensor(counts.Select(c => c == 0 ? 0f : (float)train.Count / (counts.Count(n => n > 0) * c)).ToArray(), device: device),
            _ => null,
        };
        // Epochs are as long as the real training split, whatever synthetic clips join it: every cell of a sweep gets
        // the same step budget and learning-rate schedule, so ΔF1 measures the clips, not longer training.
        int realCount = train.Clips.Count(c => c.Source == "real");
        int draws = realCount > 0 ? realCount : train.Count;
        int stepsPerEpoch = (draws + o.BatchSize - 1) / o.BatchSize;
        var schedule = new LearningRateSchedule(o.LearningRate, (long)o.WarmupEpochs * stepsPerEpoch, (long)o.Epochs * stepsPerEpoch);
        var history = state.History.ToList();
        var multipliers = FineTuning.Groups(model, o).Where(g => g.Parameters.Count > 0).Select(g => g.Multiplier).ToArray();
        var guard = new StepGuard("classifier training", () => File.Exists(lastPath) ? lastPath : null, state.SkippedSteps, state.Step);
        // A skipped step must leave the model's buffers (running statistics, where a model has any) as they were too.
        var buffers = model.buffers().ToList();
        var goodBuffers = buffers.Select(b => b.detach().clone()).ToList();
        using var ___ = new DisposeAll(goodBuffers);

        for (int epoch = state.Epoch + 1; epoch <= o.Epochs && state.EpochsWithoutImprovement < o.Patience; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var clock = Stopwatch.StartNew();
            var rng = Seeds.Random(o.Seed, $"classifier-epoch-{epoch}");
            TorchDevice.Seed(Seeds.Derive(o.Seed, $"classifier-torch-epoch-{epoch}"));
            FineTuning.TrainMode(model, o);
            double lossSum = 0;
            int correct = 0, seen = 0;
            long step = state.Step;
            foreach (var rows in BatchSampler.Epoch(train.Labels, classes.Count, o.BatchSize, o.Balance == "sampler", rng, draws))
            {
                cancel.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                double lr = schedule.At(step);
                for (int g = 0; g < multipliers.Length; g++) optimizer.Groups[g].LearningRate = lr * multipliers[g];
                var net = low?.Sync() ?? model;
                var x = ClipBatcher.Make(train, rows, device, o.Augment ? rng : null, preprocessing);
                if (low is not null) x = x.to(ScalarType.BFloat16);
                var y = tensor(rows.Select(r => (long)train.Labels[r]).ToArray(), device: device);
                var logits = net.call(x).to(ScalarType.Float32);
                var loss = nn.functional.cross_entropy(logits, y, classWeights, label_smoothing: o.LabelSmoothing);
                double lossValue = loss.item<float>(), gradNorm = double.NaN;
                if (double.IsFinite(lossValue))
                {
                    optimizer.ZeroGrad();
                    low?.ZeroGrad();
                    loss.backward();
                    low?.GradientsToMaster();
                    guard.ApplyInjectedFault(step, model.parameters().First().grad!);
                    gradNorm = nn.utils.clip_grad_norm_(model.parameters(), o.GradClip);
                }
                if (guard.Admit(step, lossValue, gradNorm))
                {
                    optimizer.Step();
                    Copy(buffers, goodBuffers);
                    lossSum += lossValue * rows.Length;
                    correct += (int)logits.argmax(1).eq(y).sum().item<long>();
                    seen += rows.Length;
                }
                else
                {
                    Copy(goodBuffers, buffers);
                }
                step++;
            }

            var (valScores, valLoss) = ClassifierEvaluator.Predict(model, val, device, Math.Max(o.BatchSize, 32));
            // The weights are finite (every update was checked), so a non-finite validation pass is a kernel glitch: redo it once.
            if (!double.IsFinite(valLoss)) (valScores, valLoss) = ClassifierEvaluator.Predict(model, val, device, Math.Max(o.BatchSize, 32));
            if (!double.IsFinite(valLoss))
                throw new NonFiniteTrainingException("classifier validation", step, $"validation loss after epoch {epoch}", "it stayed non-finite when recomputed", File.Exists(lastPath) ? lastPath : null);
            var valMetrics = Metrics.ComputePerVideo(classes, val.Clips.Select(c => c.VideoId).ToList(), val.Labels, valScores);
            // Better macro-F1 wins; an equal macro-F1 with a lower validation loss also counts as better.
            bool improved = valMetrics.MacroF1 > state.BestValMacroF1 + 1e-12
                            || (Math.Abs(valMetrics.MacroF1 - state.BestValMacroF1) <= 1e-12 && valLoss < state.BestValLoss);
            var report = new EpochReport(epoch, seen == 0 ? double.NaN : lossSum / seen, seen == 0 ? double.NaN : (double)correct / seen, valLoss, valMetrics.MacroF1, valMetrics.Accuracy, schedule.At(step - 1))
            {
                Seconds = clock.Elapsed.TotalSeconds,
                Best = improved,
                SkippedSteps = guard.Skipped,
            };
            history.Add(report);
            state = state with
            {
                Epoch = epoch,
                Step = step,
                SkippedSteps = guard.Skipped,
                History = history.ToList(),
                BestValMacroF1 = improved ? valMetrics.MacroF1 : state.BestValMacroF1,
                BestValLoss = improved ? valLoss : state.BestValLoss,
                BestEpoch = improved ? epoch : state.BestEpoch,
                EpochsWithoutImprovement = improved || epoch <= o.MinEpochs ? 0 : state.EpochsWithoutImprovement + 1,
            };
            if (improved) Checkpoint.Save(bestPath, state, model, optimizer: null);
            Checkpoint.Save(lastPath, state, model, optimizer);
            AtomicFile.WriteJson(Path.Combine(outDir, ResultFiles.HistoryJson), history);
            progress?.Report(report);
        }
        cancel.ThrowIfCancellationRequested();

        AtomicFile.WriteJson(Path.Combine(outDir, ResultFiles.HistoryJson), history);
        ResultFiles.WriteCurvesPng(Path.Combine(outDir, ResultFiles.CurvesPng), history);
        var (best, _) = Checkpoint.Load(bestPath);
        using (best)
        {
            best.to(device);
            var views = TestViewsOf(o, spec);
            var metrics = ClassifierEvaluator.Score(best, test, device, outDir, $"test (best epoch {state.BestEpoch}, {views?.Describe ?? "1 view"})", Math.Max(o.BatchSize, 32), views);
            return new TrainResult(metrics, history, mix, outDir) { SkippedSteps = guard.Skipped, Steps = state.Step };
        }
    }

    /// <summary>The test split's views, or null for one view per clip.</summary>
    static TestViews? TestViewsOf(ClassifierOptions o, ClipSpec spec) =>
        o.TestClips * o.TestCrops == 1 ? null : new TestViews(o.TestClips, o.TestCrops, spec.Frames, spec.Height, spec.Width);

    /// <summary>AdamW over the trainable parameters, one group per learning-rate multiplier (<see cref="FineTuning.Groups"/>).</summary>
    static AdamW NewOptimizer(VideoClassifier model, ClassifierOptions o)
    {
        FineTuning.Freeze(model, o);
        var groups = FineTuning.Groups(model, o).Where(g => g.Parameters.Count > 0)
            .Select(g => new AdamW.Group(g.Parameters, o.LearningRate * g.Multiplier)).ToList();
        return new AdamW(groups, o.WeightDecay);
    }

    static void Copy(List<Tensor> from, List<Tensor> to)
    {
        using var _ = no_grad();
        for (int i = 0; i < from.Count; i++) to[i].copy_(from[i]);
    }

    sealed class DisposeAll(List<Tensor> tensors) : IDisposable
    {
        public void Dispose() => tensors.ForEach(t => t.Dispose());
    }
}
