using Augment.Data;
using Augment.Generator;
using Augment.Generator.Models.Native;
using Augment.Generator.Training;
using static TorchSharp.torch;

namespace Augment.Tests.Generator;

public class LoraTests
{
    static (Tensor X, Tensor T, Tensor Bags) Inputs()
    {
        using var gen = new TorchSharp.torch.Generator(3);
        return (randn([2, .. TinyFixtures.Model.LatentShape], generator: gen), tensor(new float[] { 0.2f, 0.9f }), PromptBag.Batch(["a red clip", "a blue clip"], 64));
    }

    static string TrainedBase(string dir)
    {
        var path = Path.Combine(dir, "base.ckpt");
        GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(2), TinyFixtures.Config(pretrainSteps: 10), path, ["tiny"]);
        return path;
    }

    [Fact]
    public void AdapterWithZeroBIsANoOp()
    {
        var dir = TinyFixtures.TempDir();
        var model = Checkpoints.LoadBase(TrainedBase(dir)).Denoiser;
        var (x, t, bags) = Inputs();
        using var _ = no_grad();
        var before = model.forward(x, t, bags);
        Lora.Apply(model, new LoraConfig { Rank = 4, Alpha = 8 });
        Assert.All(Lora.Parameters(model).Where(p => p.Name.EndsWith("lora_b")), p => Assert.Equal(0f, p.Param.abs().sum().item<float>()));
        Assert.True(TinyFixtures.Same(before, model.forward(x, t, bags)), "a fresh adapter (B = 0) changed the output");
        // Depth 2 × (q, k, v, out, two MLP layers, adaLN) + the final adaLN + the prompt encoder's two layers, each with A and B.
        Assert.Equal((2 * 7 + 1 + 2) * 2, Lora.Parameters(model).Count);
    }

    [Fact]
    public void AdaptationTrainsOnlyTheAdapterAndLeavesTheBaseBitIdentical()
    {
        var dir = TinyFixtures.TempDir();
        var basePath = TrainedBase(dir);
        var trained = Checkpoints.LoadBase(basePath);
        var model = trained.Denoiser;
        var baseline = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
        var (x, t, bags) = Inputs();
        Tensor before;
        using (no_grad()) before = model.forward(x, t, bags);
        var adapterPath = Path.Combine(dir, "medgen.lora");
        var green = TrainingSet.FromClips(Enumerable.Range(0, 4).Select(i => (TinyFixtures.Coloured(40, 220, 40, i), "green", "a green clip")).ToList(), TinyFixtures.Model);
        GeneratorTraining.AdaptOn(trained, green, TinyFixtures.Config(), FileHash.Short(basePath), adapterPath, "green");

        foreach (var (name, p) in model.named_parameters().Where(p => !Lora.IsLoraParameter(p.name)))
            Assert.True(TinyFixtures.Same(p, baseline[name]), $"base parameter {name} changed during adaptation");
        Assert.True(Lora.Parameters(model).Where(p => p.Name.EndsWith("lora_b")).Any(p => p.Param.abs().sum().item<float>() > 0), "LoRA B never moved");
        using (no_grad()) Assert.False(before.allclose(model.forward(x, t, bags), rtol: 0, atol: 1e-4), "the adapted model gives the base's outputs");

        // The adapter is its own small file and reloads onto a fresh base to the same (EMA) model.
        Assert.True(new FileInfo(adapterPath).Length < new FileInfo(basePath).Length / 2);
        var reloaded = Checkpoints.LoadBase(basePath).Denoiser;
        var header = Checkpoints.LoadAdapter(reloaded, adapterPath);
        Assert.Equal(FileHash.Short(basePath), header.BaseHash);
        Assert.Equal(20, header.Step);
    }

    [Fact]
    public void UnknownTargetsAreRefused()
    {
        var dir = TinyFixtures.TempDir();
        TrainedBase(dir);
        Assert.Throws<ArgumentException>(() => Lora.Apply(Checkpoints.LoadBase(Path.Combine(dir, "base.ckpt")).Denoiser, new LoraConfig { Targets = ["conv"] }));
    }
}
