using System.Globalization;
using Augment.Data.Weights;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Tests.Data;

public class WeightsTests
{
    static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", "weights", name);

    static bool Same(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "augment-weights-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    [Fact]
    public void SafeTensorsRoundTripKeepsValuesDtypesAndMetadata()
    {
        var path = Path.Combine(TempDir(), "a.safetensors");
        using var f32 = randn(3, 5);
        using var bf16 = randn(4).to(ScalarType.BFloat16);
        using var i64 = tensor(new long[] { 7, -3 });
        using var scalar = tensor(2.5f);
        SafeTensorsFile.Write(path, [("f32", f32), ("bf16", bf16), ("i64", i64), ("scalar", scalar)], new Dictionary<string, string> { ["rank"] = "4" });

        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0UL, BitConverter.ToUInt64(bytes, 0) % 8);
        using var file = new SafeTensorsFile(path);
        Assert.Equal("4", file.Metadata["rank"]);
        Assert.Equal(new long[] { 3, 5 }, file.Entries["f32"].Shape);
        Assert.Equal(ScalarType.BFloat16, file.Entries["bf16"].Dtype);
        using var f32Back = file.Read("f32");
        using var bf16Back = file.Read("bf16");
        using var i64Back = file.Read("i64");
        using var scalarBack = file.Read("scalar");
        Assert.True(Same(f32Back, f32));
        Assert.True(Same(bf16Back, bf16));
        Assert.Equal(new long[] { 7, -3 }, i64Back.data<long>().ToArray());
        Assert.Empty(scalarBack.shape);
        Assert.Equal(2.5f, scalarBack.item<float>());
    }

    [Fact]
    public void TruncatedSafeTensorsFileIsAnErrorNamingIt()
    {
        var path = Path.Combine(TempDir(), "w.safetensors");
        using var t = randn(64, 64);
        SafeTensorsFile.Write(path, [("w", t)]);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 100)]);
        var e = Assert.Throws<InvalidDataException>(() => new SafeTensorsFile(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void ShardedCheckpointOpensFromItsFolderAndAMissingShardIsNamed()
    {
        var dir = TempDir();
        using var a = randn(2, 3);
        using var b = randn(5);
        SafeTensorsFile.Write(Path.Combine(dir, "m-00001-of-00002.safetensors"), [("a", a)]);
        SafeTensorsFile.Write(Path.Combine(dir, "m-00002-of-00002.safetensors"), [("b", b)]);
        File.WriteAllText(Path.Combine(dir, "m.safetensors.index.json"),
            """{"metadata": {"total_size": 44}, "weight_map": {"a": "m-00001-of-00002.safetensors", "b": "m-00002-of-00002.safetensors"}}""");

        using (var sharded = StateDicts.Open(dir))
        {
            Assert.Equal(["a", "b"], sharded.Entries.Keys.Order());
            using var bBack = sharded.Read("b");
            Assert.True(Same(bBack, b));
        }
        File.Delete(Path.Combine(dir, "m-00002-of-00002.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => StateDicts.Open(dir));
        Assert.Contains("m-00002-of-00002.safetensors", e.Message);
    }

    // Only its names, shapes and weights are read, never a training forward (where TorchSharp's BatchNorm makes Scalars).
#pragma warning disable AUG002
    static nn.Module<Tensor, Tensor> TinySequential() =>
        nn.Sequential(("0", nn.Conv2d(3, 4, 3)), ("1", nn.BatchNorm2d(4)), ("2", nn.Linear(4, 2)));
#pragma warning restore AUG002

    /// <summary>tiny-seq.txt: what torch itself holds for every tensor of tiny-seq.pth.</summary>
    static Dictionary<string, double[]> Expected() => File.ReadAllLines(Golden("tiny-seq.txt"))
        .Select(line => line.Split(' '))
        .ToDictionary(p => p[0], p => p.SkipWhile(w => !w.StartsWith("torch.")).Skip(1).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray());

    [Fact]
    public void PytorchPickleLoadsStrictlyWithTheValuesTorchSaved()
    {
        using var module = TinySequential();
        using var file = StateDicts.Open(Golden("tiny-seq.pth"));
        var report = StateDictLoader.Load(module, file);
        Assert.Equal(Expected().Count, report.Loaded);
        foreach (var (name, values) in Expected())
        {
            var actual = module.state_dict()[name].to(ScalarType.Float64).flatten().data<double>().ToArray();
            Assert.Equal(values, actual);
        }
    }

    [Fact]
    public void NestedTrainingCheckpointIsUnwrapped()
    {
        using var file = (PickleStateDict)StateDicts.Open(Golden("tiny-seq-nested.pth"));
        Assert.Equal("state_dict", file.Nested);
        Assert.Contains("backbone.1.running_var", file.Entries.Keys);
        using var module = TinySequential();
        var report = StateDictLoader.Load(module, file, new LoadOptions { Rename = n => n.StartsWith("backbone.") ? n["backbone.".Length..] : null });
        Assert.Equal(Expected().Count, report.Loaded);
    }

    [Fact]
    public void MismatchesAreListedByKindAndNothingIsCopied()
    {
        var path = Path.Combine(TempDir(), "bad.safetensors");
        using var module = TinySequential();
        var before = module.state_dict()["0.weight"].clone();
        var good = module.state_dict().Where(kv => kv.Key != "1.running_mean" && kv.Key != "2.weight").Select(kv => (kv.Key, kv.Value.clone())).ToList();
        using var wrongHead = randn(3, 4);
        using var extra = randn(1);
        SafeTensorsFile.Write(path, [.. good.Select(g => (g.Key, g.Item2.Plus(1))), ("2.weight", wrongHead), ("3.extra", extra)]);

        using var file = StateDicts.Open(path);
        var e = Assert.Throws<StateDictMismatchException>(() => StateDictLoader.Load(module, file));
        Assert.Contains(path, e.Message);
        Assert.Contains("1 missing from the file: 1.running_mean", e.Message);
        Assert.Contains("1 not in the model: 3.extra", e.Message);
        Assert.Contains("1 shape differs: 2.weight: file [3,4], model [2,4]", e.Message);
        Assert.True(Same(module.state_dict()["0.weight"], before));
    }

    [Fact]
    public void ReplaceableHeadKeepsItsInitAndIsReported()
    {
        var path = Path.Combine(TempDir(), "other-head.safetensors");
        using var source = TinySequential();
        var tensors = source.state_dict().Where(kv => !kv.Key.StartsWith("2.")).Select(kv => (kv.Key, kv.Value)).ToList();
        using var w = randn(400, 4);
        using var b = randn(400);
        SafeTensorsFile.Write(path, [.. tensors, ("2.weight", w), ("2.bias", b)]);

        using var module = TinySequential();
        var headBefore = module.state_dict()["2.weight"].clone();
        using var file = StateDicts.Open(path);
        var report = StateDictLoader.Load(module, file, new LoadOptions { MayBeReplaced = n => n.StartsWith("2.") });
        Assert.Equal(["2.bias: file [400], model [2]", "2.weight: file [400,4], model [2,4]"], report.Replaced);
        Assert.True(Same(module.state_dict()["2.weight"], headBefore));
        Assert.True(Same(module.state_dict()["0.weight"], source.state_dict()["0.weight"]));
    }
}
