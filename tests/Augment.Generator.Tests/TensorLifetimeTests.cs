using Augment.Classifier;
using Augment.Data;
using Augment.Data.Video;
using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Generator.Training;
using Augment.Tests.Classifier;
using Augment.Tests.Generator;
using TorchSharp;

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

        var generator = new NativeGenerator("medgen", basePath, adapterPath, config);
        var request = new GenerationRequest(dataset, spec, new Dictionary<string, int> { ["red"] = 2 }, 5, Path.Combine(dir, "out"));
        Assert.Equal(0, MadeOutsideAScope(() => generator.Generate(request)));
    }
}
