using System.Text.Json.Nodes;
using Augment.Data.Weights;
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
