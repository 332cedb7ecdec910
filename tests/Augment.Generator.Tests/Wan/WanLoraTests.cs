using System.Text.Json.Nodes;
using Augment.Data;
using Augment.Data.Weights;
using Augment.Generator.Adapters;
using Augment.Generator.Models.Wan;
using Augment.Generator.Training;
using TorchSharp;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Tests.Generator.Wan;

public class WanLoraTests
{
    static string LoraFile => Path.Combine(GoldenCase.Dir("transformer-lora"), "lora.safetensors");

    /// <summary>The kit's tiny model with its golden weights (deterministic, no global RNG involved).</summary>
    static WanTransformer3DModel Tiny()
    {
        using var g = new GoldenCase("transformer");
        var model = new WanTransformer3DModel(WanTransformerConfig.FromJson(g.Model, "golden"));
        using var weights = new SafeTensorsFile(Path.Combine(g.Folder, "weights.safetensors"));
        StateDictLoader.Load(model, weights);
        model.eval();
        return model;
    }

    static Tensor Forward(WanTransformer3DModel model)
    {
        using var g = new GoldenCase("transformer-lora");
        using var x = g.Read("hidden_states");
        using var t = g.Read("timestep");
        using var text = g.Read("encoder_hidden_states");
        using var _ = no_grad();
        return model.forward(x, t, text);
    }

    static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "augment-wanlora-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>The golden LoRA's tensors without metadata, in a folder of their own.</summary>
    static string WithoutMetadata(string dir)
    {
        using var file = new SafeTensorsFile(LoraFile);
        var tensors = file.Entries.Keys.Select(k => (k, file.Read(k))).ToList();
        var path = Path.Combine(dir, "lora.safetensors");
        SafeTensorsFile.Write(path, tensors);
        foreach (var (_, t) in tensors) t.Dispose();
        return path;
    }

    [Fact]
    public void MergedEqualsUnmergedAndMatchesTheOfficialLoraOutput()
    {
        using var g = new GoldenCase("transformer-lora");
        using var expected = g.Read("output");
        using var unmergedModel = Tiny();
        var adapters = PeftLora.Attach(unmergedModel, LoraFile);
        Assert.Equal(16, adapters.Count);
        Assert.All(adapters, a => Assert.Equal(2.0, a.Scale)); // alpha 8 / r 4 from lora_adapter_metadata
        using var unmerged = Forward(unmergedModel);
        using var mergedModel = Tiny();
        PeftLora.Merge(mergedModel, LoraFile);
        Assert.DoesNotContain(mergedModel.named_parameters(), p => p.name.Contains("lora_"));
        using var merged = Forward(mergedModel);
        Assert.True(GoldenCase.RelativeError(merged, unmerged) <= 10 * g.Noise("output"));
        Assert.True(GoldenCase.RelativeError(merged, expected) <= 10 * g.Noise("output") * 3, "merged LoRA output strays from the official one");
    }

    [Fact]
    public void AlphaComesFromTheMetadataElseLoraConfigJsonElseEqualsTheRank()
    {
        var dir = TempDir();
        var bare = WithoutMetadata(dir);
        using (var model = Tiny()) Assert.All(PeftLora.Attach(model, bare), a => Assert.Equal(1.0, a.Scale));
        File.WriteAllText(Path.Combine(dir, "lora_config.json"), """{"r": 4, "lora_alpha": 16}""");
        using (var model = Tiny()) Assert.All(PeftLora.Attach(model, bare), a => Assert.Equal(4.0, a.Scale));
    }

    [Fact]
    public void ALoraForLayersTheModelLacksIsAnErrorNamingThem()
    {
        var dir = TempDir();
        var path = Path.Combine(dir, "bad.safetensors");
        using var a = zeros(4, 24);
        using var b = zeros(24, 4);
        using var wrong = zeros(4, 25);
        SafeTensorsFile.Write(path, [("transformer.blocks.7.attn1.to_q.lora_A.weight", a), ("transformer.blocks.7.attn1.to_q.lora_B.weight", b),
            ("transformer.blocks.0.attn1.to_k.lora_A.weight", wrong), ("transformer.blocks.0.attn1.to_k.lora_B.weight", b)]);
        using var model = Tiny();
        var e = Assert.Throws<StateDictMismatchException>(() => PeftLora.Attach(model, path));
        Assert.Contains(path, e.Message);
        Assert.Contains("blocks.7.attn1.to_q (no such linear layer in the model)", e.Message);
        Assert.Contains("blocks.0.attn1.to_k (lora_A [4,25], lora_B [24,4]; the layer is [24,24])", e.Message);
        Assert.DoesNotContain(model.named_parameters(), p => p.name.Contains("lora_"));
    }

    [Fact]
    public void TrainingALoraLowersTheLossAndTheSavedFileReloadsToTheSameOutput()
    {
        using var g = new GoldenCase("transformer");
        using var gen = new TorchSharp.torch.Generator(5);
        // A fixed target: two latents and prompts the LoRA learns to denoise towards.
        var examples = Enumerable.Range(0, 2).Select(_ => new WanLoraExample(randn([4, 2, 16, 16], generator: gen), randn([12, 16], generator: gen))).ToList();
        var config = new WanLoraTrainingConfig { Rank = 4, Alpha = 4, Steps = 30, LearningRate = 1e-2, Seed = 11 };
        using var model = Tiny();
        // The flow-matching loss on fixed draws (σ = 0.5 and 0.8, fixed noise), before and after training.
        var probes = examples.SelectMany(e => new[] { 0.5f, 0.8f }.Select(s => (e, Sigma: tensor(new[] { s }), Noise: randn([1, 4, 2, 16, 16], generator: gen)))).ToList();
        double ProbeLoss()
        {
            using var _ = no_grad();
            return probes.Average(p =>
            {
                using var x0 = p.e.Latent.unsqueeze(0);
                using var xt = Augment.Generator.FlowMatching.Interpolate(x0, p.Noise, p.Sigma);
                using var text = p.e.Text.unsqueeze(0);
                using var v = model.forward(xt, p.Sigma.Times(1000), text);
                using var loss = Augment.Generator.FlowMatching.Loss(v, x0, p.Noise);
                return loss.item<float>();
            });
        }
        var before = ProbeLoss();
        var losses = WanLoraTraining.Train(model, examples, config);
        Assert.Equal(30, losses.Count);
        var after = ProbeLoss();
        Assert.True(after < 0.9 * before, $"the loss did not fall: {before:F4} before, {after:F4} after");

        var dir = TempDir();
        var saved = Path.Combine(dir, "medgen.safetensors");
        PeftLora.Save(model, saved);
        using (var file = new SafeTensorsFile(saved))
        {
            Assert.Contains("transformer.blocks.0.attn1.to_q.lora_A.weight", file.Entries.Keys);
            Assert.Equal([4L, 24L], file.Entries["transformer.blocks.0.attn1.to_q.lora_A.weight"].Shape);
            Assert.Equal(16 * 2, file.Entries.Count);
            var meta = JsonNode.Parse(file.Metadata["lora_adapter_metadata"])!;
            Assert.Equal(4, meta["transformer.r"]!.GetValue<int>());
            Assert.Equal(4.0, meta["transformer.lora_alpha"]!.GetValue<double>());
        }
        using var trained = Forward(model);
        using var reloadedModel = Tiny();
        PeftLora.Attach(reloadedModel, saved);
        using var reloaded = Forward(reloadedModel);
        Assert.True(reloaded.eq(trained).all().item<bool>(), "the reloaded LoRA gives another output");
        using var baseOut = Forward(Tiny());
        Assert.True(GoldenCase.RelativeError(trained, baseOut) > 1e-3, "training left the model unchanged");
    }

    /// <summary>What a GPU run does (dtype: bfloat16): the base stays frozen in bfloat16, the adapters train in float32.</summary>
    [Fact]
    public void ABfloat16BaseStaysFrozenWhileItsFloat32AdaptersTrain()
    {
        using var gen = new TorchSharp.torch.Generator(5);
        var examples = new List<WanLoraExample> { new(randn([4, 2, 16, 16], generator: gen), randn([12, 16], generator: gen)) };
        using var model = Tiny();
        model.to(ScalarType.BFloat16);
        var losses = WanLoraTraining.Train(model, examples, new WanLoraTrainingConfig { Rank = 2, Alpha = 2, Steps = 3, LearningRate = 1e-2, Seed = 1 });
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        var adapters = PeftLora.Parameters(model);
        Assert.All(adapters, a => Assert.Equal(ScalarType.Float32, a.Param.dtype));
        Assert.Contains(adapters, a => a.Name.EndsWith(".lora_B.weight", StringComparison.Ordinal) && a.Param.abs().max().item<float>() > 0);
        Assert.All(model.named_parameters().Where(p => !p.name.Contains("lora_")), p =>
        {
            Assert.Equal(ScalarType.BFloat16, p.parameter.dtype);
            Assert.False(p.parameter.requires_grad);
        });
    }

    /// <summary>A LoRA training killed after its step-2 checkpoint, run again, takes the same steps as one never stopped:
    /// the same losses and the same adapters; a checkpoint of other settings is not resumed.</summary>
    [Fact]
    public void AKilledLoraTrainingResumesFromItsCheckpointToTheSameAdapters()
    {
        using var gen = new TorchSharp.torch.Generator(7);
        var examples = Enumerable.Range(0, 2).Select(_ => new WanLoraExample(randn([4, 2, 16, 16], generator: gen), randn([12, 16], generator: gen))).ToList();
        var config = new WanLoraTrainingConfig { Rank = 2, Alpha = 2, Steps = 5, LearningRate = 1e-2, Seed = 3, CheckpointEvery = 2 };
        using var straight = Tiny();
        var expected = WanLoraTraining.Train(straight, examples, config);

        var checkpoint = Path.Combine(TempDir(), "lora.training.ckpt");
        using var cancel = new CancellationTokenSource();
        using (var killed = Tiny())
            Assert.ThrowsAny<OperationCanceledException>(() => WanLoraTraining.Train(killed, examples, config,
                new SyncProgress<TrainProgress>(p => { if (p.Step == 3) cancel.Cancel(); }), cancel.Token, checkpoint));
        Assert.Equal(2, Augment.Generator.TensorArchive.ReadHeader<WanLoraCheckpointHeader>(checkpoint).Step);

        using var resumed = Tiny();
        var steps = new List<int>();
        var losses = WanLoraTraining.Train(resumed, examples, config, new SyncProgress<TrainProgress>(p => steps.Add(p.Step)), default, checkpoint);
        Assert.Equal([3, 4, 5], steps);
        Assert.Equal(expected.Count, losses.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], losses[i], 6);
        var want = PeftLora.Parameters(straight).ToDictionary(p => p.Name, p => p.Param);
        foreach (var (name, p) in PeftLora.Parameters(resumed))
            Assert.True(p.allclose(want[name], rtol: 1e-5, atol: 1e-7), $"{name} differs after resuming");

        // Another learning rate: the checkpoint is not this run's, so training starts from step 1.
        using var other = Tiny();
        var otherSteps = new List<int>();
        WanLoraTraining.Train(other, examples, config with { LearningRate = 2e-2 }, new SyncProgress<TrainProgress>(p => otherSteps.Add(p.Step)), default, checkpoint);
        Assert.Equal([1, 2, 3, 4, 5], otherSteps);
    }
}
