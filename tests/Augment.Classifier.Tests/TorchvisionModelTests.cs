using System.CommandLine;
using Augment.Cli.Commands;
using System.Text.Json.Nodes;
using Augment.Classifier.Models;
using Augment.Data.Weights;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Tests.Classifier;

/// <summary>
/// The torchvision ports against torchvision 0.14.1 itself (goldens in Golden/torchvision, see its README): the same
/// state-dict names and shapes, and the same logits, features and gradients on full-size networks with the reference
/// kit's hash-rule weights.
/// </summary>
public class TorchvisionModelTests
{
    internal static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", "torchvision", name);

    /// <summary>Every state-dict entry of torchvision's model (param_names.py of the kit), and no other, with its shape.</summary>
    [Theory]
    [InlineData("r3d_18", 8, 112, 112)]
    [InlineData("mc3_18", 8, 112, 112)]
    [InlineData("r2plus1d_18", 8, 112, 112)]
    [InlineData("s3d", 16, 224, 224)]
    [InlineData("resnet18", 4, 224, 224)]
    public void StateDictNamesAndShapesAreTorchvisions(string arch, int frames, int height, int width)
    {
        var expected = File.ReadLines(Golden($"{arch}-names.txt")).Where(l => !l.StartsWith('#') && l.Length > 0)
            .Select(l => l.Split('\t')).ToDictionary(p => p[0], p => p[1]);
        using var model = ClassifierModels.Create(new ModelConfig(arch, arch == "resnet18" ? 1000 : 400, 0, 0, frames, height, width));
        var actual = model.state_dict().ToDictionary(kv => kv.Key, kv => $"[{string.Join(", ", kv.Value.shape)}]");
        Assert.Empty(expected.Keys.Except(actual.Keys));
        Assert.Empty(actual.Keys.Except(expected.Keys));
        Assert.All(expected, kv => Assert.Equal(kv.Value, actual[kv.Key]));
    }

    /// <summary>
    /// Full-size networks (400 classes) on a 1×3×8×32×40 clip with the kit's <c>--init hash</c> weights rebuilt here:
    /// logits, features, loss and gradients within 10× the float32 noise the kit measured for each (against float64).
    /// </summary>
    [Theory]
    [InlineData("r3d_18")]
    [InlineData("mc3_18")]
    [InlineData("r2plus1d_18")]
    public void MatchesTorchvisionOnHashInitWeights(string arch)
    {
        var (outputs, expected, noise) = RunCase(arch, weights: null);
        using var _ = expected;
        foreach (var (name, value) in outputs)
            using (value)
            {
                using var reference = expected.Read(name);
                Assert.Equal(reference.shape, value.shape);
                double diff = Relative(value, reference);
                Assert.True(diff <= 10 * noise[name], $"{arch} {name}: max|Δ|/max|expected| = {diff:E2}, 10× noise = {10 * noise[name]:E2}");
            }
    }

    /// <summary>
    /// torchvision's ImageNet resnet18 on every frame of a [1,3,3,32,40] clip with the kit's hash weights (1000 classes;
    /// Golden/torchvision/resnet18_ref.py made the file): per-frame logits averaged, and the time-averaged features.
    /// </summary>
    [Fact]
    public void FrameResNet18MatchesTorchvisionPerFrame()
    {
        var config = JsonNode.Parse(File.ReadAllText(Golden("resnet18.config.json")))!;
        using var io = new SafeTensorsFile(Golden("resnet18.io.safetensors"));
        using var video = io.Read("video");
        using var model = ClassifierModels.Create(new ModelConfig("resnet18", 1000, 0, 0, 3, 32, 40));
        HashInit.Apply(model, 0);
        model.eval();
        using var _ = no_grad();
        using var features = model.Features(video);
        using var logits = model.call(video);
        foreach (var (name, actual) in new[] { ("features", features), ("output", logits) })
        {
            using var reference = io.Read(name);
            double noise = config["f32_error_vs_f64"]![name]!.GetValue<double>();
            double diff = Relative(actual, reference);
            Assert.True(diff <= 10 * noise, $"resnet18 {name}: {diff:E2} > 10 × {noise:E2}");
        }
    }

    /// <summary>Runs the kit case through the same code as `augment models forward`; null weights: the hash rule.</summary>
    internal static (IReadOnlyDictionary<string, Tensor> Outputs, SafeTensorsFile Expected, IReadOnlyDictionary<string, double> Noise) RunCase(string arch, IStateDict? weights, bool grads = true)
    {
        var config = JsonNode.Parse(File.ReadAllText(Golden($"{arch}.config.json")))!.AsObject();
        var noise = config["f32_error_vs_f64"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
        var gradParams = config["grad_params"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        var io = new SafeTensorsFile(Golden($"{arch}.io.safetensors"));
        var c = new ReferenceCase(config["model"]!.AsObject(), weights, io, null, grads, gradParams)
        {
            HashInitSeed = weights is null ? config["seed"]!.GetValue<long>() : null,
        };
        var outputs = new TorchvisionVideoReference().Run(c);
        Assert.Equal(config["output_keys"]!.AsArray().Select(n => n!.GetValue<string>()).Where(k => grads || k is "output" or "features").Order(), outputs.Keys.Order());
        return (outputs, io, noise);
    }

    internal static double Relative(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64);
        return (actual.to(ScalarType.Float64) - e).abs().max().item<double>() / e.abs().max().item<double>();
    }

    /// <summary>The analytic FLOPs equal a count from the 3D convolutions' real output shapes.</summary>
    [Theory]
    [InlineData("r3d_18")]
    [InlineData("mc3_18")]
    [InlineData("r2plus1d_18")]
    [InlineData("resnet18")]
    public void AnalyticFlopsMatchMeasuredLayerShapes(string arch)
    {
        using var model = ClassifierModels.Create(new ModelConfig(arch, 5, 0, 0, 4, 24, 32));
        long counted = 0;
        foreach (var (_, module) in model.named_modules())
        {
            if (module is Conv3d conv)
                conv.register_forward_hook((_, _, output) => { counted += 2 * output.numel() * (conv.weight!.numel() / conv.weight.shape[0]); return output; });
            else if (module is Conv2d conv2d)
                conv2d.register_forward_hook((_, _, output) => { counted += 2 * output.numel() * (conv2d.weight!.numel() / conv2d.weight.shape[0]); return output; });
            else if (module is Linear linear)
                linear.register_forward_hook((_, _, output) => { counted += 2 * output.numel() * linear.weight!.shape[1]; return output; });
        }
        model.eval();
        using (no_grad()) model.call(randn(new long[] { 1, 3, 4, 24, 32 })).Dispose();
        Assert.Equal(counted, model.ForwardFlopsPerClip);
    }

    /// <summary>`augment models forward` on the kit's own files: it rebuilds the hash weights from config.json, writes
    /// every output the kit wrote (gradients included) under the kit's names, within the tolerance.</summary>
    [Fact]
    public void ModelsForwardVerbWritesTheKitsOutputs()
    {
        var output = Path.Combine(Path.GetTempPath(), $"augment-forward-{Guid.NewGuid():N}.safetensors");
        string[] args = ["models", "forward", "--model", "torchvision-video", "--config", Golden("mc3_18.config.json"),
            "--inputs", Golden("mc3_18.io.safetensors"), "--out", output, "--grads"];
        var (code, text) = CliCapture.Run(() => new RootCommand { ModelsCommand.Create() }.Parse(args).Invoke());
        Assert.True(code == 0, text);
        using var written = new SafeTensorsFile(output);
        using var expected = new SafeTensorsFile(Golden("mc3_18.io.safetensors"));
        var noise = JsonNode.Parse(File.ReadAllText(Golden("mc3_18.config.json")))!["f32_error_vs_f64"]!.AsObject();
        Assert.Equal(noise.Select(kv => kv.Key).Order(), written.Entries.Keys.Order());
        foreach (var name in written.Entries.Keys)
        {
            using var a = written.Read(name);
            using var e = expected.Read(name);
            Assert.True(Relative(a, e) <= 10 * noise[name]!.GetValue<double>(), name);
        }
        File.Delete(output);
    }

    [Fact]
    public void UnportedArchIsAClearError()
    {
        var config = Path.Combine(Path.GetTempPath(), $"augment-mvit-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, """{"model": {"arch": "mvit_v2_s", "num_classes": 5}, "init": "hash", "seed": 0}""");
        string[] args = ["models", "forward", "--model", "torchvision-video", "--config", config,
            "--inputs", Golden("mc3_18.io.safetensors"), "--out", config + ".out.safetensors"];
        var errors = new StringWriter();
        var previous = Console.Error;
        Console.SetError(errors);
        try { Assert.NotEqual(0, CliCapture.Run(() => new RootCommand { ModelsCommand.Create() }.Parse(args).Invoke()).Code); }
        finally { Console.SetError(previous); }
        Assert.Contains("arch 'mvit_v2_s' is not ported", errors.ToString());
        File.Delete(config);
    }
}
