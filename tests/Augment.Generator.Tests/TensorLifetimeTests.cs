using Augment.Classifier;
using Augment.Data;
using Augment.Data.Video;
using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Generator.Training;
using Augment.Tests.Classifier;
using Augment.Tests.Generator;
using TorchSharp;
using Augment.Data.Datasets;

namespace Augment.Tests.Numerics;

/// <summary>
/// A tensor made outside a dispose scope is freed by the GC's finalizer thread, and a temporary can be finalized while
/// libtorch still reads it (the managed object is dead once its handle has been passed to native code). Under load that
/// window widens, which is how the suite's host died in libtorch_cpu. Inside a scope every tensor stays referenced until
/// the scope ends on the thread that made it. Only the long-lived modules a caller keeps may be made outside one.
/// </summary>
public class TensorLifetimeTests
{
    static long MadeOutsideAScope(Action work)
    {
        var stats = DisposeScopeManager.Statistics;
        stats.Reset();
        work();
        return stats.TensorStatistics.CreatedOutsideScopeCount;
    }

    [Fact]
    public void TrainingSamplingAndAdaptingLeaveNoTensorToTheFinalizer()
    {
        using var clips = TinyClips.Make(perClass: 2, frames: 4, size: 16, seed: 1);
        var options = new ClassifierOptions { Model = "r2plus1d", Width = 8, Depth = 2, Epochs = 2, BatchSize = 8, Patience = 10, Device = "cpu", Seed = 7 };
        Assert.Equal(0, MadeOutsideAScope(() => ClassifierTrainer.Train(clips, clips, clips, TinyClips.RealOnly(clips), options, TinyClips.TempDir())));

        var dir = TinyFixtures.TempDir();
        var dataset = TinyFixtures.WriteDataset(dir);
        var cache = new ClipCache(Path.Combine(dir, "cache"));
        var spec = new ClipSpec(8, 32, 32);
        var config = TinyFixtures.Config(pretrainSteps: 3, adaptSteps: 3, autoencoderSteps: 3);
        var basePath = Path.Combine(dir, "base.ckpt");
        var adapterPath = Path.Combine(dir, "adapter.ckpt");
        Assert.Equal(0, MadeOutsideAScope(() => GeneratorTraining.Pretrain([dataset], spec, cache, config, basePath)));
        Assert.Equal(0, MadeOutsideAScope(() => GeneratorTraining.Adapt(dataset, spec, cache, config, basePath, adapterPath)));
        // The corpus recipe (MedGen's): its LoRA trained on captioned clips. A stress run of the suite crashed in
        // libtorch's clone() here when this ran outside a scope (the EMA's detach().clone() temporary, freed mid-call).
        File.WriteAllLines(Path.Combine(dir, "captions.csv"), dataset.Clips.Select(c => $"{Path.GetRelativePath(dir, c.Path)},a {c.Label} clip"));
        var corpus = CaptionedCorpus.Load("captions", Path.Combine(dir, "captions.csv"));
        Assert.Equal(0, MadeOutsideAScope(() => GeneratorTraining.AdaptToCorpora([corpus], spec, cache, config, basePath, Path.Combine(dir, "corpus.ckpt"))));
        // Pretraining on clips the caller already holds (the path tests and the benchmark take).
        var data = TinyFixtures.RedBlue(2);
        Assert.Equal(0, MadeOutsideAScope(() => GeneratorTraining.PretrainOn(data, config, Path.Combine(dir, "on.ckpt"), ["tiny"])));

        var generator = new NativeGenerator("medgen", basePath, adapterPath, config);
        var request = new GenerationRequest(dataset, spec, new Dictionary<string, int> { ["red"] = 2 }, 5, Path.Combine(dir, "out"));
        Assert.Equal(0, MadeOutsideAScope(() => generator.Generate(request)));
    }
}
