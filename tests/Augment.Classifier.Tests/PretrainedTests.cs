using System.Collections;
using Augment.Classifier;
using Augment.Classifier.Models;
using Augment.Data;
using Augment.Data.Numerics;
using Augment.Tests.Generator;
using Augment.Data.Weights;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Augment.Tests.Classifier;

/// <summary>
/// Starting from published checkpoints: S3D against torchvision, torchvision's files (.pth and .safetensors) loaded
/// strictly, MMAction2's nesting and prefixes, head replacement, and MMAction2's fine-tuning switches.
/// </summary>
public sealed class PretrainedTests : IDisposable
{
    /// <summary>Each test's checkpoint files (tens of MB each), removed after it.</summary>
    readonly string root = Path.Combine(Path.GetTempPath(), "augment-pretrained-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
    }


    string TempDir()
    {
        var dir = Path.Combine(root, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A full-size model with the kit's hash weights: a "Kinetics checkpoint" for tests.</summary>
    static VideoClassifier HashModel(string arch, int classes, int frames, int height, int width)
    {
        var model = ClassifierModels.Create(new ModelConfig(arch, classes, 0, 0, frames, height, width));
        HashInit.Apply(model, 0);
        return model;
    }

    static VideoClassifier S3d(int classes) => ClassifierModels.Create(new ModelConfig("s3d", classes, 0, 0, 13, 209, 209));

    static void WriteSafeTensors(string path, VideoClassifier model, Func<string, string>? rename = null) =>
        SafeTensorsFile.Write(path, model.state_dict().Select(kv => (rename?.Invoke(kv.Key) ?? kv.Key, kv.Value)));

    /// <summary>
    /// S3D, full size, at its smallest clip (a constant video, so the test needs no stored input): within 10× the kit's
    /// float32 noise. BatchNorm eps 1e-5 instead of torchvision's 1e-3 measured 540× the noise in the kit.
    /// </summary>
    [Fact]
    public void S3dMatchesTorchvisionOnHashInitWeights()
    {
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(TorchvisionModelTests.Golden("s3d.config.json")))!;
        using var expected = new SafeTensorsFile(TorchvisionModelTests.Golden("s3d.outputs.safetensors"));
        using var model = HashModel("s3d", 400, 13, 209, 209);
        model.eval();
        using var video = ones(new long[] { 1, 3, 13, 209, 209 });
        using var _ = no_grad();
        using var map = ((IPretrainedBackbone)model).PooledMap(video);
        using var logits = model.call(video);
        foreach (var (name, actual) in new[] { ("features", map), ("output", logits) })
        {
            using var reference = expected.Read(name);
            double noise = config["f32_error_vs_f64"]![name]!.GetValue<double>();
            double diff = TorchvisionModelTests.Relative(actual, reference);
            Assert.True(diff <= 10 * noise, $"s3d {name}: {diff:E2} > 10 × {noise:E2}");
        }
    }

    /// <summary>torchvision's own format, official names: the same golden outputs from a .safetensors and a .pth file.</summary>
    [Fact]
    public void TorchvisionMc3LoadsFromPthAndSafeTensorsAndMatchesTheGolden()
    {
        var dir = TempDir();
        using (var source = HashModel("mc3_18", 400, 8, 32, 40))
        {
            WriteSafeTensors(Path.Combine(dir, "w.safetensors"), source);
            source.save_py(Path.Combine(dir, "w.pth"));
        }
        foreach (var file in new[] { "w.safetensors", "w.pth" })
        {
            using var weights = StateDicts.Open(Path.Combine(dir, file));
            var (outputs, expected, noise) = TorchvisionModelTests.RunCase("mc3_18", weights, grads: false);
            using var _ = expected;
            foreach (var (name, value) in outputs)
                using (value)
                {
                    using var reference = expected.Read(name);
                    double diff = TorchvisionModelTests.Relative(value, reference);
                    Assert.True(diff <= 10 * noise[name], $"{file} {name}: {diff:E2} > 10 × {noise[name]:E2}");
                }
        }
    }

    [Fact]
    public void StrictLoadNamesEveryMissingUnexpectedAndMisShapedTensor()
    {
        var path = Path.Combine(TempDir(), "bad.safetensors");
        using (var source = S3d(400))
        {
            var entries = source.state_dict()
                .Where(kv => kv.Key != "features.5.branch1.1.0.1.running_var")
                .Select(kv => (kv.Key, kv.Key == "features.2.0.weight" ? zeros(new long[] { 64, 64, 1, 1, 2 }) : kv.Value))
                .Append(("features.16.weight", zeros(3)));
            SafeTensorsFile.Write(path, entries);
        }
        using var model = S3d(400);
        var e = Assert.Throws<StateDictMismatchException>(() => PretrainedWeights.Load(model, path));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing from the file: features.5.branch1.1.0.1.running_var", e.Message);
        Assert.Contains("not in the model: features.16.weight", e.Message);
        Assert.Contains("features.2.0.weight: file [64,64,1,1,2], model [64,64,1,1,1]", e.Message);
    }

    /// <summary>A Kinetics-400 head meets a 5-class dataset: the head is new and said so, everything else is the file's.</summary>
    [Fact]
    public void FiveClassHeadReplacesTheFour100ClassHeadAndSaysSo()
    {
        var path = Path.Combine(TempDir(), "k400.safetensors");
        using var source = HashModel("s3d", 400, 13, 209, 209);
        WriteSafeTensors(path, source);
        using var model = S3d(5);
        using var freshHead = model.state_dict()["classifier.1.weight"].clone();
        var report = PretrainedWeights.Load(model, path);

        Assert.Equal(["classifier.1.bias: file [400], model [5]", "classifier.1.weight: file [400,1024,1,1,1], model [5,1024,1,1,1]"], report.HeadReplaced);
        Assert.Equal(source.state_dict().Count - 2, report.Loaded);
        Assert.Equal(FileHash.Sha256(path), report.Sha256);
        Assert.Contains("head replaced", report.Summary);
        var loaded = model.state_dict();
        foreach (var (name, value) in source.state_dict().Where(kv => !kv.Key.StartsWith("classifier.")))
            Assert.True(TinyFixtures.Same(value, loaded[name]), name);
        Assert.True(TinyFixtures.Same(freshHead, loaded["classifier.1.weight"]));
    }

    /// <summary>MMAction2's layout: {"state_dict": {"backbone.…", "cls_head.fc_cls.…"}, "meta": …}, saved under DataParallel (module.).</summary>
    [Fact]
    public void MmActionNestedCheckpointWithPrefixesLoadsAndReportsItsHead()
    {
        var path = Path.Combine(TempDir(), "mmaction.pth");
        using var source = HashModel("s3d", 400, 13, 209, 209);
        var inner = new Hashtable();
        foreach (var (name, value) in source.state_dict().Where(kv => !kv.Key.StartsWith("classifier.")))
            inner["module.backbone." + name] = value;
        using var headWeight = zeros(7, 1024);
        using var headBias = zeros(7);
        inner["module.cls_head.fc_cls.weight"] = headWeight;
        inner["module.cls_head.fc_cls.bias"] = headBias;
        PyTorchPickler.PickleStateDict(path, new Hashtable { ["state_dict"] = inner, ["meta"] = new Hashtable { ["epoch"] = 40 } });

        using var model = S3d(5);
        var report = PretrainedWeights.Load(model, path);
        Assert.Equal("state_dict", report.NestedUnder);
        Assert.Equal(["backbone.", "module."], report.StrippedPrefixes.Order(StringComparer.Ordinal));
        Assert.Equal(["module.cls_head.fc_cls.bias", "module.cls_head.fc_cls.weight"], report.Skipped.Order(StringComparer.Ordinal));
        Assert.Equal(["classifier.1.bias", "classifier.1.weight"], report.HeadNew);
        Assert.True(TinyFixtures.Same(source.state_dict()["features.15.branch3.1.1.running_var"], model.state_dict()["features.15.branch3.1.1.running_var"]));
    }

    [Fact]
    public void WeightsIntoAugmentsOwnModelIsAClearError()
    {
        using var model = ClassifierModels.Create(new ModelConfig("r2plus1d", 5, 4, 1, 4, 16, 16));
        var e = Assert.Throws<ArgumentException>(() => PretrainedWeights.Load(model, "/nowhere/x.pth"));
        Assert.Contains("torchvision's architectures", e.Message);
    }

    static (Tensor X, Tensor Y) Batch()
    {
        using var g = new TorchSharp.torch.Generator(3);
        return (randn(new long[] { 4, 3, 4, 16, 16 }, generator: g), tensor(new long[] { 0, 1, 2, 3 }));
    }

    /// <summary>norm_eval: a training step leaves every BatchNorm's running statistics as they were; without it they move.</summary>
    [Fact]
    public void NormEvalKeepsRunningStatisticsFixedWhileTraining()
    {
        var (x, y) = Batch();
        using var _x = x;
        using var _y = y;
        foreach (bool normEval in new[] { true, false })
        {
            using var model = HashModel("mc3_18", 5, 4, 16, 16);
            var before = model.named_buffers().Where(b => b.name.EndsWith("running_mean")).Select(b => (b.name, b.buffer.clone())).ToList();
            FineTuning.TrainMode(model, new ClassifierOptions { Model = "mc3_18", NormEval = normEval });
            using (no_grad()) model.call(x).Dispose();
            var after = model.named_buffers().ToDictionary(b => b.name, b => b.buffer);
            int moved = before.Count(b => !TinyFixtures.Same(b.Item2, after[b.name]));
            Assert.Equal(normEval ? 0 : before.Count, moved);
            before.ForEach(b => b.Item2.Dispose());
        }
    }

    /// <summary>
    /// MMAction2's recipe on a random "pretrained" checkpoint: a 5-class head replaces the 400-class one, the stem and
    /// layer1 are frozen (frozen_stages 1), BatchNorm stays in eval mode and the backbone learns at 0.1× the head's rate.
    /// A few AdamW steps on one batch lower its loss and leave the frozen stages untouched.
    /// </summary>
    [Fact]
    public void FineTuningStepsFromAPretrainedCheckpointLowerTheLoss()
    {
        var path = Path.Combine(TempDir(), "k400.safetensors");
        using (var source = HashModel("mc3_18", 400, 4, 16, 16)) WriteSafeTensors(path, source);
        var o = new ClassifierOptions { Model = "mc3_18", Weights = path, FrozenStages = 1, NormEval = true, BackboneLrMultiplier = 0.1 };
        TorchDevice.Seed(0);
        using var model = ClassifierModels.Create(new ModelConfig("mc3_18", 5, 0, 0, 4, 16, 16));
        FineTuning.Validate(model, o);
        var report = PretrainedWeights.Load(model, path);
        Assert.Equal(2, report.HeadReplaced.Count);
        FineTuning.Freeze(model, o);
        var groups = FineTuning.Groups(model, o);
        Assert.Equal([0.1, 1.0], groups.Select(g => g.Multiplier));
        Assert.DoesNotContain(groups.SelectMany(g => g.Parameters), p => !p.Param.requires_grad);
        using var optimizer = new Augment.Data.Numerics.AdamW(groups.Select(g => new Augment.Data.Numerics.AdamW.Group(g.Parameters, 1e-3 * g.Multiplier)).ToList(), weightDecay: 0);
        using var stem = model.state_dict()["stem.0.weight"].clone();
        using var layer1 = model.state_dict()["layer1.1.conv2.0.weight"].clone();
        using var layer2 = model.state_dict()["layer2.0.conv1.0.weight"].clone();

        var (x, y) = Batch();
        using var _x = x;
        using var _y = y;
        var losses = new List<double>();
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            FineTuning.TrainMode(model, o);
            var loss = nn.functional.cross_entropy(model.call(x), y);
            losses.Add(loss.item<float>());
            optimizer.ZeroGrad();
            loss.backward();
            optimizer.Step();
        }
        Assert.True(losses[^1] < 0.7 * losses[0], $"loss {string.Join(" → ", losses.Select(l => l.ToString("F3")))}");
        Assert.True(TinyFixtures.Same(stem, model.state_dict()["stem.0.weight"]));
        Assert.True(TinyFixtures.Same(layer1, model.state_dict()["layer1.1.conv2.0.weight"]));
        Assert.False(TinyFixtures.Same(layer2, model.state_dict()["layer2.0.conv1.0.weight"]));
    }

    [Fact]
    public void FrozenStagesBeyondTheModelIsAClearError()
    {
        using var model = S3d(5);
        var e = Assert.Throws<ArgumentException>(() => FineTuning.Validate(model, new ClassifierOptions { Model = "s3d", FrozenStages = 40 }));
        Assert.Contains("frozen_stages 40", e.Message);
    }

    /// <summary>
    /// The whole path through the trainer: a 400-class checkpoint fine-tuned on 4 classes at a 16×16 crop (stem frozen,
    /// norm_eval, backbone at 0.1×), pretrained.json saying what was replaced, and the test split scored on 2 clips.
    /// </summary>
    [Fact]
    public void TrainerFineTunesFromACheckpointAndTestsOnSeveralViews()
    {
        var dir = TempDir();
        var weights = Path.Combine(dir, "k400.safetensors");
        using (var source = HashModel("mc3_18", 400, 4, 16, 16)) WriteSafeTensors(weights, source);
        using var train = TinyClips.Make(1, 4, 16, seed: 1);
        using var val = TinyClips.Make(1, 4, 16, seed: 2, "val");
        using var test = TinyClips.Make(1, 8, 16, seed: 3, "test");
        var o = new ClassifierOptions
        {
            Model = "mc3_18", Weights = weights, Crop = 16, Epochs = 1, BatchSize = 4, Augment = false,
            FrozenStages = 0, NormEval = true, BackboneLrMultiplier = 0.1, TestClips = 2,
        };
        var outDir = Path.Combine(dir, "run");
        var result = ClassifierTrainer.Train(train, val, test, TinyClips.RealOnly(train), o, outDir);

        Assert.Equal("2 clips × 1 crops, probabilities averaged", result.Test.Views);
        var report = AtomicFile.ReadJson<PretrainedReport>(Path.Combine(outDir, ResultFiles.PretrainedJson))!;
        Assert.Equal(["fc.bias: file [400], model [4]", "fc.weight: file [400,512], model [4,512]"], report.HeadReplaced);
        Assert.Equal(new ModelConfig("mc3_18", 4, o.Width, o.Depth, 4, 16, 16), Checkpoint.ReadState(Path.Combine(outDir, ResultFiles.BestCheckpoint)).Model);
    }

    /// <summary>bf16-mixed computes on a copy: it must see the master's BatchNorm statistics and modes, and hand the
    /// statistics its training forward updated back (or none, under norm_eval).</summary>
    [Fact]
    public void Bf16ComputeCarriesBatchNormStatisticsAndModes()
    {
        var (x, y) = Batch();
        using var _x = x;
        using var _y = y;
        foreach (bool normEval in new[] { false, true })
        {
            using var model = HashModel("mc3_18", 5, 4, 16, 16);
            var config = model.Config;
            using var low = new Bf16Compute(model, config, CPU);
            using var before = model.state_dict()["layer3.0.conv1.1.running_mean"].clone();
            FineTuning.TrainMode(model, new ClassifierOptions { Model = "mc3_18", NormEval = normEval });
            var net = low.Sync();
            using (var synced = net.state_dict()["layer3.0.conv1.1.running_mean"].to(ScalarType.Float32))
                Assert.True((synced - before).abs().max().item<float>() < 2e-3, "the copy did not take the master's statistics");
            using (var loss = nn.functional.cross_entropy(net.call(x.to(ScalarType.BFloat16)).to(ScalarType.Float32), y)) loss.backward();
            low.GradientsToMaster();
            var after = model.state_dict()["layer3.0.conv1.1.running_mean"];
            Assert.Equal(normEval, TinyFixtures.Same(before, after));
            var norms = net.named_modules().Select(m => m.module).OfType<HeldBatchNorm>().ToList();
            Assert.NotEmpty(norms);
            Assert.Equal(normEval, !norms.Any(b => b.training));
        }
    }
}
