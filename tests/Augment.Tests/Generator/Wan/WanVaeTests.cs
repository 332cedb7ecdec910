using System.Text.Json.Nodes;
using Augment.Data.Weights;
using Augment.Generator.Models.Diffusers;
using Augment.Generator.Models.Wan;
using Augment.Generator.Reference;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Augment.Tests.Generator.Wan;

public class WanVaeTests(ITestOutputHelper log)
{
    [Fact]
    public void EncodeAndDecodeMatchTheOfficialChunkedVaeWithinTenTimesItsNoise()
    {
        using var g = new GoldenCase("vae");
        using var weights = new SafeTensorsFile(Path.Combine(g.Folder, "weights.safetensors"));
        var outputs = new WanVaeReference().Run(new ReferenceCase(g.Model, weights, g.Io, null, false, []));
        try
        {
            foreach (var (k, v) in g.AssertMatches(outputs, g.Outputs)) log.WriteLine($"{k}: {v:E2} ({v / g.Noise(k):F1}× noise)");
        }
        finally { foreach (var t in outputs.Values) t.Dispose(); }
    }

    [Fact]
    public void AnInputOfOneTileIsUnaffectedByTheTilingFlag()
    {
        using var g = new GoldenCase("vae");
        using var weights = new SafeTensorsFile(Path.Combine(g.Folder, "weights.safetensors"));
        using var model = new AutoencoderKLWan(AutoencoderKLWanConfig.FromJson(g.Model, "vae"));
        StateDictLoader.Load(model, weights);
        model.eval();
        using var _ = no_grad();
        using var sample = g.Read("sample");
        using var latent = g.Read("latent");
        var (mean, logvar) = model.Encode(sample);
        using var video = model.Decode(latent);
        model.Tiling = new VaeTiling(16, 16, 8, 8); // exactly the 16×16 frame: diffusers tiles only what is larger
        var (tiledMean, tiledLogvar) = model.Encode(sample);
        using var tiledVideo = model.Decode(latent);
        using (mean) using (logvar) using (tiledMean) using (tiledLogvar)
        {
            Assert.True(Same(mean, tiledMean) && Same(logvar, tiledLogvar), "encode changed");
            Assert.True(Same(video, tiledVideo), "decode changed");
        }
    }

    static bool Same(Tensor a, Tensor b)
    {
        using var eq = a.eq(b).all();
        return eq.item<bool>();
    }

    [Theory]
    [InlineData(20, 16)]
    [InlineData(16, 24)]
    [InlineData(16, 0)]
    public void TilesOffTheLatentGridOrStridesBeyondTheTileAreRefused(int tile, int stride)
    {
        using var model = new AutoencoderKLWan(new AutoencoderKLWanConfig(), new Device(TorchSharp.DeviceType.META));
        var e = Assert.Throws<ArgumentException>(() => model.Tiling = new VaeTiling(tile, 256, stride, 192));
        Assert.Contains($"tile height {tile} and stride {stride}", e.Message);
    }

    [Fact]
    public void TheFullSizeWan21VaeBuildsWithTheOfficialNamesAndShapesWithoutMemory()
    {
        var dir = GoldenCase.Dir("full");
        var config = AutoencoderKLWanConfig.FromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "wan2.1-vae.json")))!["model"]!.AsObject(), "wan2.1-vae");
        using var model = new AutoencoderKLWan(config, new Device(TorchSharp.DeviceType.META));
        var official = File.ReadAllLines(Path.Combine(dir, "wan2.1-vae.params.txt")).Where(l => !l.StartsWith('#') && l.Length > 0)
            .Select(l => l.Split('\t')).ToDictionary(f => f[0], f => f[1]);
        var ours = model.state_dict().ToDictionary(kv => kv.Key, kv => $"[{string.Join(", ", kv.Value.shape)}]");
        Assert.Empty(official.Keys.Except(ours.Keys));
        Assert.Empty(ours.Keys.Except(official.Keys));
        Assert.All(official, kv => Assert.Equal(kv.Value, ours[kv.Key]));
    }
}
