using Augment.Cli.Commands;
using Augment.Data.Weights;
using System.CommandLine;
using Xunit.Abstractions;

namespace Augment.Tests.Generator.Wan;

public class ModelsForwardTests(ITestOutputHelper log)
{
    /// <summary>Runs the verb; returns its exit code and what it printed, errors (stderr) included.</summary>
    static (int Code, string Out) Forward(params string[] args)
    {
        var errors = new StringWriter();
        var previous = Console.Error;
        Console.SetError(errors);
        try
        {
            var (code, text) = CliCapture.Run(() => new RootCommand { ModelsCommand.Create() }.Parse(["models", "forward", .. args]).Invoke());
            return (code, text + errors);
        }
        finally { Console.SetError(previous); }
    }

    [Fact]
    public void TheVerbRunsTheKitsWanCaseAndWritesItsOutputsUnderTheKitsNames()
    {
        var dir = GoldenCase.Dir("transformer-lora");
        var outPath = Path.Combine(Path.GetTempPath(), $"augment-forward-{Guid.NewGuid():N}.safetensors");
        var (code, text) = Forward("--model", "wan-transformer", "--config", Path.Combine(dir, "config.json"),
            "--weights", Path.Combine(GoldenCase.Dir("transformer"), "weights.safetensors"), "--inputs", Path.Combine(dir, "io.safetensors"),
            "--out", outPath, "--lora", Path.Combine(dir, "lora.safetensors"), "--grads");
        Assert.True(code == 0, text);
        using var g = new GoldenCase("transformer-lora");
        using var written = new SafeTensorsFile(outPath);
        Assert.Equal(g.Outputs.Order(), written.Entries.Keys.Order());
        var outputs = written.Entries.Keys.ToDictionary(k => k, written.Read);
        try { g.AssertMatches(outputs, g.Outputs, gradFactor: 20); }
        finally { foreach (var t in outputs.Values) t.Dispose(); }
    }

    /// <summary>The kit's VAE run through diffusers' tiled_encode/tiled_decode (wan/vae_tiling.py: 4×3 overlapping
    /// tiles each way, edge tiles smaller than the blend); the case's config.json turns tiling on by its "tiling" object.</summary>
    [Fact]
    public void TheVerbRunsTheKitsTiledVaeCaseWithinTenTimesItsNoise()
    {
        var dir = GoldenCase.Dir("vae-tiling");
        var outPath = Path.Combine(Path.GetTempPath(), $"augment-forward-{Guid.NewGuid():N}.safetensors");
        var (code, text) = Forward("--model", "wan-vae", "--config", Path.Combine(dir, "config.json"),
            "--weights", Path.Combine(GoldenCase.Dir("vae"), "weights.safetensors"), "--inputs", Path.Combine(dir, "io.safetensors"), "--out", outPath);
        Assert.True(code == 0, text);
        using var g = new GoldenCase("vae-tiling");
        using var written = new SafeTensorsFile(outPath);
        var outputs = written.Entries.Keys.ToDictionary(k => k, written.Read);
        try
        {
            foreach (var (k, v) in g.AssertMatches(outputs, g.Outputs)) log.WriteLine($"{k}: {v:E2} ({v / g.Noise(k):F1}× noise)");
        }
        finally { foreach (var t in outputs.Values) t.Dispose(); }
        File.Delete(outPath);
    }

    [Fact]
    public void TheVerbRunsTheKitsSchedulerCaseBitIdentically()
    {
        var dir = GoldenCase.Dir("scheduler");
        var outPath = Path.Combine(Path.GetTempPath(), $"augment-forward-{Guid.NewGuid():N}.safetensors");
        var (code, text) = Forward("--model", "flow-euler-scheduler", "--config", Path.Combine(dir, "config.json"),
            "--inputs", Path.Combine(dir, "io.safetensors"), "--out", outPath);
        Assert.True(code == 0, text);
        using var g = new GoldenCase("scheduler");
        using var written = new SafeTensorsFile(outPath);
        Assert.Equal(g.Outputs.Order(), written.Entries.Keys.Order());
        foreach (var name in g.Outputs)
        {
            using var ours = written.Read(name);
            using var expected = g.Read(name);
            Assert.True(ours.eq(expected).all().item<bool>(), name);
        }
    }

    [Fact]
    public void TilingIsRefusedForAModelThatIsNotAVae()
    {
        var dir = GoldenCase.Dir("transformer");
        var (code, text) = Forward("--model", "wan-transformer", "--config", Path.Combine(dir, "config.json"), "--inputs", Path.Combine(dir, "io.safetensors"), "--out", "/tmp/x.safetensors", "--tiling");
        Assert.Equal(2, code);
        Assert.Contains("--model wan-transformer: tiling is for wan-vae", text);
    }

    [Fact]
    public void AnUnknownModelNameIsAnErrorListingTheKnownOnes()
    {
        var dir = GoldenCase.Dir("transformer");
        var (code, text) = Forward("--model", "wan-vea", "--config", Path.Combine(dir, "config.json"), "--inputs", Path.Combine(dir, "io.safetensors"), "--out", "/tmp/x.safetensors");
        Assert.Equal(2, code);
        Assert.Contains("--model wan-vea: not one of wan-transformer", text);
    }

    [Fact]
    public void WeightsThatDoNotFitAreAnErrorNamingTheFileAndTheTensors()
    {
        var dir = GoldenCase.Dir("transformer");
        var lora = Path.Combine(GoldenCase.Dir("transformer-lora"), "lora.safetensors");
        var (code, text) = Forward("--model", "wan-transformer", "--config", Path.Combine(dir, "config.json"), "--weights", lora,
            "--inputs", Path.Combine(dir, "io.safetensors"), "--out", "/tmp/x.safetensors");
        Assert.Equal(2, code);
        Assert.Contains($"{lora} does not fit", text);
        Assert.Contains("missing from the file", text);
    }
}
