using Xunit.Abstractions;
using System.Text.Json.Nodes;
using Augment.Data.Weights;
using Augment.Generator.Models.Wan;
using Augment.Generator.Reference;
using TorchSharp;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Tests.Generator.Wan;

public class WanTransformerTests(ITestOutputHelper log)
{
    static ReferenceCase Case(GoldenCase g, IStateDict weights, string? lora, bool grads) =>
        new(g.Model, weights, g.Io, lora, grads, g.Config["grad_params"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? []);

    static SafeTensorsFile Weights() => new(Path.Combine(GoldenCase.Dir("transformer"), "weights.safetensors"));

    // The official code computes the timestep features in float32 for every dtype (t·exp(−ln10⁴·i/128), t up to 1000),
    // so the kit's f64 rerun does not see their rounding; torch 1.13's exp and libtorch 2.10's differ in the last bit of
    // 17 of the 128 frequencies, which moves the features by 3e-5. Against the untouched official files that costs the
    // port 2.7× the recorded noise on the output and up to 11× on two of the 36 gradients, hence 20× for gradients
    // there; the same-exp case below shares the features and holds everything to 10×.
    const double StockGradFactor = 20;

    void Check(string golden, string? lora, double gradFactor)
    {
        using var g = new GoldenCase(golden);
        using var weights = Weights();
        var outputs = new WanTransformerReference().Run(Case(g, weights, lora is null ? null : Path.Combine(GoldenCase.Dir(lora), "lora.safetensors"), grads: true));
        try
        {
            foreach (var (k, v) in g.AssertMatches(outputs, g.Outputs, gradFactor: gradFactor))
                log.WriteLine($"{k}: {v:E2} ({v / (k == "loss" ? g.Noise("output") : g.Noise(k)):F1}× noise)");
        }
        finally { foreach (var t in outputs.Values) t.Dispose(); }
    }

    [Fact]
    public void ForwardAndGradientsMatchTheOfficialCode() => Check("transformer", null, StockGradFactor);

    [Fact]
    public void LoraForwardAndLoraGradientsMatchTheOfficialCode() => Check("transformer-lora", "transformer-lora", StockGradFactor);

    [Fact]
    public void WithTheSameTimestepFrequenciesEverythingIsWithinTenTimesTheNoise()
    {
        // The case was made with libtorch's own float32 frequency table (same_exp.py); check this libtorch still makes it.
        using (var freqs = new SafeTensorsFile(Path.Combine(GoldenCase.Dir("transformer-lora-same-exp"), "freqs.safetensors")))
        using (var stored = freqs.Read("freqs"))
        using (var ours = exp(HeldScalars.Arange(0, 128, 1, ScalarType.Float32).Times((float)-Math.Log(10000)).DividedBy(128f)))
            Assert.True(ours.eq(stored).all().item<bool>(), "this libtorch's exp differs from the one the same-exp case was made with");
        Check("transformer-lora-same-exp", "transformer-lora", gradFactor: 10);
    }

    [Fact]
    public void InBfloat16TheForwardRunsAndStaysWithinBfloat16sPrecisionOfTheOfficialOutput()
    {
        using var g = new GoldenCase("transformer");
        using var model = new WanTransformer3DModel(WanTransformerConfig.FromJson(g.Model, "golden"));
        using (var weights = Weights()) StateDictLoader.Load(model, weights);
        model.to(ScalarType.BFloat16).eval();
        using var x = g.Read("hidden_states");
        using var t = g.Read("timestep");
        using var text = g.Read("encoder_hidden_states");
        using var expected = g.Read("output");
        using var _ = no_grad();
        using var output = model.forward(x.to(ScalarType.BFloat16), t, text.to(ScalarType.BFloat16));
        Assert.Equal(ScalarType.BFloat16, output.dtype);
        var err = GoldenCase.RelativeError(output, expected);
        log.WriteLine($"bf16 max rel diff {err:E2}");
        Assert.True(err < 3e-2, $"bf16 output strays {err:E2} from the official float32 one");
    }

    [Theory]
    [InlineData("wan2.1-t2v-1.3b-transformer")]
    [InlineData("wan2.1-t2v-14b-transformer")]
    public void FullSizeConfigsBuildWithTheOfficialNamesAndShapesWithoutMemory(string name)
    {
        var dir = GoldenCase.Dir("full");
        var config = WanTransformerConfig.FromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(dir, name + ".json")))!["model"]!.AsObject(), name);
        // The meta device holds shapes only: 14B parameters take no memory.
        using var model = new WanTransformer3DModel(config, new Device(TorchSharp.DeviceType.META));
        var official = File.ReadAllLines(Path.Combine(dir, name + ".params.txt")).Where(l => !l.StartsWith('#') && l.Length > 0)
            .Select(l => l.Split('\t')).ToDictionary(f => f[0], f => f[1]);
        var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => $"[{string.Join(", ", kv.Value.shape)}]");
        Assert.Empty(official.Keys.Except(ours.Keys));
        Assert.Empty(ours.Keys.Except(official.Keys));
        Assert.All(official, kv => Assert.Equal(kv.Value, ours[kv.Key]));
    }

    [Fact]
    public void WeightsForAnotherConfigAreAnErrorListingTheMisShapedTensors()
    {
        using var g = new GoldenCase("transformer");
        using var weights = Weights();
        var wider = WanTransformerConfig.FromJson(g.Model, "test") with { FfnDim = 64 };
        using var model = new WanTransformer3DModel(wider);
        var e = Assert.Throws<StateDictMismatchException>(() => StateDictLoader.Load(model, weights));
        Assert.Contains("blocks.0.ffn.net.0.proj.weight: file [32,24], model [64,24]", e.Message);
    }

    [Fact]
    public void UnknownConfigKeysAndImageToVideoOptionsAreErrors()
    {
        var typo = Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson(new JsonObject { ["num_layer"] = 2 }, "cfg.json"));
        Assert.Contains("cfg.json: unknown WanTransformer3DModel settings: num_layer", typo.Message);
        var i2v = Assert.Throws<InvalidDataException>(() => WanTransformerConfig.FromJson(new JsonObject { ["image_dim"] = 1280 }, "cfg.json"));
        Assert.Contains("image-to-video", i2v.Message);
    }
}
