using System.Text.Json.Nodes;
using Augment.Data.Weights;
using static TorchSharp.torch;

namespace Augment.Tests.Generator.Wan;

/// <summary>A reference-kit case under Golden/wan/&lt;name&gt;: its config.json, io.safetensors and the kit's recorded
/// float32 noise per output, against which a port's relative error is judged (10× the noise, as the issue asks).</summary>
public sealed class GoldenCase : IDisposable
{
    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", "wan", name);

    public GoldenCase(string name)
    {
        Folder = Dir(name);
        Config = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "config.json")))!.AsObject();
        Io = new SafeTensorsFile(Path.Combine(Folder, "io.safetensors"));
    }

    public string Folder { get; }
    public JsonObject Config { get; }
    public JsonObject Model => Config["model"]!.AsObject();
    public SafeTensorsFile Io { get; }
    public string ConfigPath => Path.Combine(Folder, "config.json");

    public Tensor Read(string name) => Io.Read(name);

    public double Noise(string output) => Config["f32_error_vs_f64"]![output]!.GetValue<double>();

    /// <summary>The outputs the kit recorded (config.json output_keys).</summary>
    public IReadOnlyList<string> Outputs => Config["output_keys"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();

    /// <summary>max|actual − expected| / max|expected|.</summary>
    public static double RelativeError(Tensor actual, Tensor expected)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var a = actual.to(ScalarType.Float64);
        using var e = expected.to(ScalarType.Float64);
        using var diff = (a - e).abs().max();
        using var scale = e.abs().max();
        return diff.item<double>() / Math.Max(scale.item<double>(), 1e-30);
    }

    /// <summary>Asserts every named output within <paramref name="factor"/> × the kit's noise for it (gradients within
    /// <paramref name="gradFactor"/> ×, default the same) and returns the measured errors. The loss, mean(output²), has
    /// twice the output's relative error; the kit records 0 for it (its f64 rerun rounds to the same float32), so its
    /// bound is 2 × factor × the output's noise.</summary>
    public Dictionary<string, double> AssertMatches(IReadOnlyDictionary<string, Tensor> actual, IEnumerable<string> names, double factor = 10, double? gradFactor = null)
    {
        var errors = new Dictionary<string, double>();
        var failures = new List<string>();
        foreach (var name in names)
        {
            Assert.True(actual.ContainsKey(name), $"the port wrote no '{name}'");
            using var expected = Read(name);
            var err = RelativeError(actual[name], expected);
            var bound = name == "loss" ? 2 * factor * Noise("output") : (name.StartsWith("grad.") ? gradFactor ?? factor : factor) * Noise(name);
            errors[name] = err;
            if (err > bound) failures.Add($"{name} max rel diff {err:E2} > {bound:E2}");
        }
        Assert.True(failures.Count == 0, $"{Folder}: beyond the bound (× the kit's f32 noise): {string.Join("; ", failures)}");
        return errors;
    }

    public void Dispose() => Io.Dispose();
}
