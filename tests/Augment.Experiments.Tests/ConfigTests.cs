using Augment.Synthetic.Gate;
using Augment.Experiments.Backends;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Data.Numerics;

namespace Augment.Tests.Experiments;

public class ConfigTests
{
    const string Valid = """
        experiment: test
        profile: tiny
        output_dir: out
        seeds: [0, 1, 2]
        ratios: [0, 0.5, 1, 2]
        datasets:
          demo:
            adapter: demo
            target_classes: [polyp]
          kvasir:
            adapter: folder
            root: /data/kvasir
            keep: {ulcer: 5}
        generators:
          real: {backend: none, label: Real only}
          hunyuanvideo: {backend: native, adapt: false, label: HunyuanVideo}
          medgen: {backend: native, adapt: true, label: MedGen}
        classifier:
          epochs: 3
          width: 4
        """;

    static ExperimentConfig Parse(string yaml) => ExperimentConfigLoader.Parse(yaml, "/tmp/cfg/experiments.yaml");

    static ConfigError SingleError(string yaml)
    {
        var e = Assert.Throws<ConfigException>(() => Parse(yaml));
        return Assert.Single(e.Errors);
    }

    [Fact]
    public void ValidFileReadsEverySection()
    {
        var c = Parse(Valid);
        Assert.Equal("tiny", c.Profile);
        Assert.Equal("/tmp/cfg/out", c.OutputDir);
        Assert.Equal([0L, 1, 2], c.Seeds);
        Assert.Equal([0, 0.5, 1, 2], c.Ratios);
        Assert.Equal(["demo", "kvasir"], c.Datasets.Select(d => d.Name));
        Assert.True(c.Datasets[0].IsDemo);
        Assert.Equal("/tmp/cfg/out/data/demo", c.Datasets[0].Root);
        Assert.Equal(["polyp"], c.Datasets[0].TargetClasses);
        Assert.Equal("/data/kvasir", c.Datasets[1].Root);
        Assert.Equal(["real", "hunyuanvideo", "medgen"], c.Generators.Select(g => g.Name));
        Assert.True(c.Generators[2].Adapt);
        Assert.False(c.Generators[1].Adapt);
        Assert.Equal(3, c.Classifier.Epochs);
        Assert.Equal(4, c.Classifier.Width);
        Assert.Equal(Profiles.Load("tiny").Classifier.BatchSize, c.Classifier.BatchSize);
        Assert.Equal(Profiles.Load("tiny").Clip, c.Clip);
        Assert.Null(c.ReportRatio);
    }

    [Fact]
    public void ProfileScalesClipAndClassifier()
    {
        var tiny = Parse(Valid.Replace("profile: tiny", "profile: tiny"));
        var full = Parse(Valid.Replace("profile: tiny", "profile: full"));
        Assert.True(full.Clip.Height > tiny.Clip.Height);
        Assert.Equal(3, full.Classifier.Epochs); // explicit key wins over the profile
        Assert.True(full.Classifier.BatchSize >= tiny.Classifier.BatchSize);
    }

    [Fact]
    public void UnknownKeyNamesKeyAndLine()
    {
        var e = SingleError(Valid.Replace("  epochs: 3", "  epoch: 3"));
        Assert.Equal("classifier.epoch", e.Key);
        Assert.Equal(19, e.Line);
        Assert.Contains("unknown key", e.Message);
    }

    [Fact]
    public void BadRatioNamesItsIndexAndLine()
    {
        var e = SingleError(Valid.Replace("[0, 0.5, 1, 2]", "[0, 0.5, -1, 2]"));
        Assert.Equal("ratios[2]", e.Key);
        Assert.Equal(5, e.Line);
        var e2 = SingleError(Valid.Replace("[0, 0.5, 1, 2]", "[0, half]"));
        Assert.Equal("ratios[1]", e2.Key);
        Assert.Contains("not a number", e2.Message);
    }

    [Fact]
    public void UnknownBackendNamesGeneratorAndLine()
    {
        var e = SingleError(Valid.Replace("{backend: native, adapt: true, label: MedGen}", "{backend: sora}"));
        Assert.Equal("generators.medgen.backend", e.Key);
        Assert.Equal(17, e.Line);
        Assert.Contains("native|import|onnx", e.Message);
    }

    [Fact]
    public void BackendSettingsAreChecked()
    {
        var missing = SingleError(Valid.Replace("{backend: native, adapt: true, label: MedGen}", "{backend: import}"));
        Assert.Equal("generators.medgen.manifest", missing.Key);
        var misplaced = SingleError(Valid.Replace("{backend: native, adapt: true, label: MedGen}", "{backend: onnx, model: m.onnx, adapt: true}"));
        Assert.Equal("generators.medgen.adapt", misplaced.Key);
    }

    [Fact]
    public void WanSettingsAreReadAndChecked()
    {
        var wan = Parse(Valid.Replace("{backend: native, adapt: true, label: MedGen}",
            "{backend: wan, weights: Wan2.1-T2V-1.3B-Diffusers, prompts: prompts.safetensors, negative: neg, lora: medgen.safetensors, dtype: bfloat16, steps: 30, shift: 5, vae_tiling: false}"))
            .Generators.Single(g => g.Name == "medgen").Wan!;
        Assert.Equal(("/tmp/cfg/Wan2.1-T2V-1.3B-Diffusers", "/tmp/cfg/medgen.safetensors", "bfloat16", 30, 5.0, 5.0, "auto", false),
            (wan.Weights, wan.Lora, wan.Dtype, wan.Steps, wan.Cfg, wan.Shift, wan.Device, wan.VaeTiling));
        Assert.True(Parse(Valid.Replace("{backend: native, adapt: true, label: MedGen}", "{backend: wan, weights: w, prompts: p.safetensors, cfg: 1}"))
            .Generators.Single(g => g.Name == "medgen").Wan!.VaeTiling); // on by default: it only tiles frames larger than 256 px
        var missing = SingleError(Valid.Replace("{backend: native, adapt: true, label: MedGen}", "{backend: wan, weights: w, negative: neg}"));
        Assert.Equal(("generators.medgen.prompts", 17), (missing.Key, missing.Line));
        var guidance = SingleError(Valid.Replace("{backend: native, adapt: true, label: MedGen}", "{backend: wan, weights: w, prompts: p.safetensors, cfg: 5}"));
        Assert.Equal("generators.medgen.cfg", guidance.Key);
        Assert.Contains("needs a negative prompt", guidance.Message);
        Assert.Equal("generators.medgen.weights", SingleError(Valid.Replace("{backend: native, adapt: true, label: MedGen}", "{backend: native, weights: w}")).Key);
    }

    [Fact]
    public void WanAdaptReadsItsTrainingSettingsAndExcludesALoraFile()
    {
        const string native = "{backend: native, adapt: true, label: MedGen}";
        var entry = Parse(Valid.Replace(native, "{backend: wan, weights: w, prompts: p.safetensors, cfg: 1, adapt: true, lora_rank: 8, adapt_steps: 50, adapt_learning_rate: 0.001}"))
            .Generators.Single(g => g.Name == "medgen");
        var train = entry.Wan!.Train!;
        Assert.True(entry.Adapt);
        Assert.Null(entry.Wan.Lora);
        Assert.Equal((8, 8.0, 50, 0.001), (train.Rank, train.Alpha, train.Steps, train.LearningRate)); // alpha defaults to the rank
        var both = SingleError(Valid.Replace(native, "{backend: wan, weights: w, prompts: p.safetensors, cfg: 1, adapt: true, lora: l.safetensors}"));
        Assert.Equal(("generators.medgen.lora", 17), (both.Key, both.Line));
        Assert.Contains("not both", both.Message);
        var stray = SingleError(Valid.Replace(native, "{backend: wan, weights: w, prompts: p.safetensors, cfg: 1, lora_rank: 8}"));
        Assert.Equal("generators.medgen.lora_rank", stray.Key);
        Assert.Null(Parse(Valid.Replace(native, "{backend: wan, weights: w, prompts: p.safetensors, cfg: 1}")).Generators.Single(g => g.Name == "medgen").Wan!.Train);
    }

    [Fact]
    public void AllProblemsAreReportedAtOnceWithTheFileName()
    {
        var e = Assert.Throws<ConfigException>(() => Parse(Valid.Replace("profile: tiny", "profile: huge").Replace("seeds: [0, 1, 2]", "seeds: [0, 0]")));
        Assert.Equal(2, e.Errors.Count);
        Assert.Contains("/tmp/cfg/experiments.yaml:2: profile: 'huge' is not one of tiny|small|full", e.Message);
        Assert.Contains(e.Errors, x => x.Key == "seeds[1]" && x.Line == 4);
    }

    [Fact]
    public void DatasetKeysAreCheckedByTheDataLibraryWithTheirLine()
    {
        var e = SingleError(Valid.Replace("keep: {ulcer: 5}", "keep: {ulcer: -5}"));
        Assert.Equal("datasets.kvasir.keep.ulcer", e.Key);
        Assert.Equal(13, e.Line);
        var adapter = SingleError(Valid.Replace("adapter: folder", "adapter: dicom"));
        Assert.Equal("datasets.kvasir.adapter", adapter.Key);
        Assert.Equal(11, adapter.Line);
    }

    [Fact]
    public void GeneratorSettingsAndGateThresholdsAreReadAndChecked()
    {
        var c = Parse(Valid + "\ngenerator:\n  sample_steps: 5\n  gate: {min_sharpness: 3, max_flicker: 40}");
        Assert.Equal(5, c.Generator.Engine.Sampler.Steps);
        Assert.Equal(3, c.Generator.Gate.MinSharpness);
        Assert.Equal(40, c.Generator.Gate.MaxFlicker);
        Assert.Equal(new Augment.Synthetic.Gate.GateOptions().MinMotion, c.Generator.Gate.MinMotion);
        var e = SingleError(Valid + "\ngenerator:\n  gate: {sharpness: 3}");
        Assert.Equal("generator.gate.sharpness", e.Key);
        Assert.Equal(22, e.Line);

        var calibrated = Parse(Valid + "\ngenerator:\n  gate: {calibrate: true, calibrate_high_percentile: 95, max_blockiness: 2.5}").Generator.Gate;
        Assert.Equal((true, 1.0, 95.0, 0.5, (double?)2.5), (calibrated.Calibrate, calibrated.CalibrationLow, calibrated.CalibrationHigh, calibrated.CalibrationSlack, calibrated.MaxBlockiness));
        Assert.False(c.Generator.Gate.Calibrate);
        Assert.Null(c.Generator.Gate.MaxSharpness);
        Assert.Equal("generator.gate.calibrate_high_percentile", SingleError(Valid + "\ngenerator:\n  gate: {calibrate_high_percentile: 120}").Key);
    }

    [Fact]
    public void ReportRatioMustBeAListedRatio()
    {
        Assert.Equal(1, Parse(Valid + "\nreport_ratio: 1").ReportRatio);
        Assert.Null(Parse(Valid + "\nreport_ratio: best").ReportRatio);
        Assert.Equal("report_ratio", SingleError(Valid + "\nreport_ratio: 3").Key);
    }

    [Fact]
    public void SyntaxErrorReportsItsLine()
    {
        var e = SingleError("experiment: x\ndatasets: [unclosed\n");
        Assert.Equal("(syntax)", e.Key);
        Assert.True(e.Line >= 2);
    }

    [Fact]
    public void RepositoryDefaultFileIsValidAndRunsOnTheDemo()
    {
        var path = Path.Combine(RepoRoot(), "experiments.yaml");
        var c = ExperimentConfigLoader.Load(path);
        Assert.All(c.Datasets, d => Assert.True(d.IsDemo));
        Assert.Equal("tiny", c.Profile);
        Assert.True(c.Seeds.Count >= 2);
        Assert.Equal([0, 1, 3], c.Ratios);
        Assert.Contains(c.Generators, g => g.Backend == GeneratorBackend.None);
        Assert.Contains(c.Generators, g => g.Backend == GeneratorBackend.Native && g.Adapt);
        Assert.Contains(c.Generators, g => g.Backend == GeneratorBackend.Native && !g.Adapt);
        Assert.Contains(c.Generators, g => g.Backend == GeneratorBackend.Holdout);
        Assert.NotEmpty(SweepPlanner.Plan(c).Cells);
    }

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "Augment.sln"))) dir = Path.GetDirectoryName(dir) ?? throw new DirectoryNotFoundException("Augment.sln not found above the test binaries");
        return dir;
    }

    /// <summary>MMAction2's fine-tuning recipe in experiments.yaml, with the weights path taken from the file's folder.</summary>
    [Fact]
    public void PretrainedClassifierRecipeReadsEveryKey()
    {
        var dir = Path.Combine(Path.GetTempPath(), "augment-cfg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, "r2plus1d_18.pth"), [1, 2, 3]);
        var yaml = Valid.Replace("  epochs: 3\n  width: 4", """
              model: r2plus1d_18
              weights: r2plus1d_18.pth
              crop: 96
              backbone_lr_mult: 0.1
              frozen_stages: 1
              norm_eval: true
              test_views: {clips: 10, crops: 3}
            """.TrimEnd());
        Assert.Contains("r2plus1d_18.pth", yaml);
        var c = ExperimentConfigLoader.Parse(yaml, Path.Combine(dir, "experiments.yaml")).Classifier;
        Assert.Equal(("r2plus1d_18", Path.Combine(dir, "r2plus1d_18.pth"), 96, 0.1, 1, true, 10, 3),
            (c.Model, c.Weights, c.Crop, c.BackboneLrMultiplier, c.FrozenStages, c.NormEval, c.TestClips, c.TestCrops));
        Assert.Equal(Augment.Data.FileHash.Sha256(c.Weights!), Assert.Single(SweepStages.WeightsInputs(c)).Value);
        Assert.Equal("r2plus1d_18, fine-tuned from r2plus1d_18.pth; test split scored on 10 clips × 3 crops per window, probabilities averaged, validation on 1 view",
            SweepSummary.DescribeClassifier(c));

        var missing = Assert.Single(Assert.Throws<ConfigException>(() => ExperimentConfigLoader.Parse(yaml.Replace("weights: r2plus1d_18.pth", "weights: nope.pth"), Path.Combine(dir, "experiments.yaml"))).Errors);
        Assert.Equal("classifier.weights", missing.Key);
        Assert.Contains("nope.pth: no such checkpoint file", missing.Message);
        var bad = Assert.Throws<ConfigException>(() => ExperimentConfigLoader.Parse(yaml.Replace("crops: 3", "crops: 2"), Path.Combine(dir, "experiments.yaml")));
        Assert.Equal("classifier.test_views.crops", Assert.Single(bad.Errors).Key);
        var scratch = Assert.Throws<ConfigException>(() => ExperimentConfigLoader.Parse(yaml.Replace("model: r2plus1d_18", "model: r2plus1d"), Path.Combine(dir, "experiments.yaml")));
        Assert.Contains("need a pretrained architecture", Assert.Single(scratch.Errors).Message);

        // mean/std override the weights' statistics, and the model's preprocessing normalises with them.
        var withStats = yaml.Replace("  crop: 96", "  crop: 96\n  mean: [0.5, 0.5, 0.5]\n  std: [0.25, 0.25, 0.25]");
        var s = ExperimentConfigLoader.Parse(withStats, Path.Combine(dir, "experiments.yaml")).Classifier;
        Assert.Equal([0.5f, 0.5f, 0.5f], s.Mean!);
        Assert.Equal([0.25f, 0.25f, 0.25f], s.Std!);
        var pre = Augment.Classifier.Models.Preprocessing.For(new Augment.Classifier.Models.ModelConfig("r2plus1d_18", 5, 0, 0, 2, 96, 96, s.Mean, s.Std))!;
        using (var frames = HeldScalars.Full([2, 3, 96, 96], 0.75f))
        using (var x = pre.Apply(frames))
            Assert.Equal(1.0, x.mean().item<float>(), 5);
        Assert.Equal(Augment.Classifier.Models.Preprocessing.Kinetics112.Mean,
            Augment.Classifier.Models.Preprocessing.For(new Augment.Classifier.Models.ModelConfig("r2plus1d_18", 5, 0, 0, 2, 112, 112))!.Mean);
        var badStats = Assert.Single(Assert.Throws<ConfigException>(() => ExperimentConfigLoader.Parse(withStats.Replace("mean: [0.5, 0.5, 0.5]", "mean: [0.5, 2]"), Path.Combine(dir, "experiments.yaml"))).Errors);
        Assert.Equal("classifier.mean", badStats.Key);
        Assert.Contains("expected three numbers", badStats.Message);
        Directory.Delete(dir, true);
    }
}
