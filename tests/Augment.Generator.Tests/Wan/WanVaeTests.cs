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

    /// <summary>The official config at 480×832, counted by hand from diffusers' decoder (latent 60×104 = N0): two frames
    /// per causal conv of its input, 151 328·N0 values (conv_in 2·16, mid 4·768, up 0 7·768, up 1 (384 + 6·768)·4,
    /// up 2 6·384·16, up 3 6·192·64, conv_out 192·64); the largest live set is five 96-channel 4-frame full-resolution
    /// tensors (resnet 0 of up 3: its input, conv1's input, the new cache, the input with the cache, conv1's output).</summary>
    [Fact]
    public void TheComputedDecodeMemoryAt480pCountsEveryCacheAndTheFullResolutionConv()
    {
        var c = new AutoencoderKLWanConfig();
        var e = WanVaeMemory.Decode(c, 81, 480, 832, 4, null, parameters: 0);
        Assert.Equal(151_328L * 60 * 104 * 4, e.Caches);
        Assert.Equal(5L * 96 * 4 * 480 * 832 * 4, e.Activations);
        Assert.Equal("up 3 resnet 0 conv1", e.Where);
        Assert.Equal(3L * 81 * 480 * 832 * 4, e.Output);
        // Tiled, a 256×256 tile's caches (32×32 latent pixels); the output adds the tile's clip and two rows of tiles
        // (256 px high; widths 4·256 + 64).
        var t = WanVaeMemory.Decode(c, 81, 480, 832, 4, new VaeTiling(), parameters: 0);
        Assert.Equal(151_328L * 32 * 32 * 4, t.Caches);
        Assert.Equal(3L * 81 * 4 * (480 * 832 + 256 * 256 + 2 * 256 * 1088), t.Output);
        Assert.Equal(e.Caches / 2, WanVaeMemory.Decode(c, 81, 480, 832, 2, null, parameters: 0).Caches);
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
