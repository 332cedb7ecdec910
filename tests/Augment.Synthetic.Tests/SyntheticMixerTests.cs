using Augment.Classifier;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Synthetic;

namespace Augment.Tests.Classifier;

public class SyntheticMixerTests
{
    static Dataset Scarce() => new()
    {
        Name = "mix-test",
        Classes = ["common", "scarce"],
        Prompts = new Dictionary<string, string>(),
        Clips =
        [
            .. Enumerable.Range(0, 6).Select(i => new ClipRef($"/data/common/{i}.mp4", "common", Splits.Train, $"c{i}")),
            .. Enumerable.Range(0, 3).Select(i => new ClipRef($"/data/scarce/{i}.mp4", "scarce", Splits.Train, $"s{i}")),
            new ClipRef("/data/common/v.mp4", "common", Splits.Val, "cv"),
            new ClipRef("/data/scarce/t.mp4", "scarce", Splits.Test, "st"),
        ],
    };

    static string Manifest(params SyntheticClip[] clips)
    {
        var path = Path.Combine(TinyClips.TempDir(), SyntheticManifest.FileName);
        SyntheticManifest.Write(path, clips);
        return path;
    }

    static SyntheticClip Synth(string label, int i, bool accepted = true) =>
        new() { Path = $"clips/{label}_{i}.mp4", Label = label, Generator = "medgen", Accepted = accepted };

    [Fact]
    public void RatioAddsRoundedSharePerTargetClassAsNestedPrefixes()
    {
        var manifest = Manifest([.. Enumerable.Range(0, 8).SelectMany(i => new[] { Synth("scarce", i), Synth("common", i) })]);
        var dataset = Scarce();

        var (half, halfSummary) = SyntheticMixer.Mix(dataset, new MixOptions(manifest, 0.5, ["scarce"]));
        var (two, twoSummary) = SyntheticMixer.Mix(dataset, new MixOptions(manifest, 2, ["scarce"]));
        var (all, allSummary) = SyntheticMixer.Mix(dataset, new MixOptions(manifest, 1));

        var halfSynth = half.Where(c => c.Source != "real").Select(c => c.Path).ToList();
        var twoSynth = two.Where(c => c.Source != "real").Select(c => c.Path).ToList();
        Assert.Equal(2, halfSynth.Count);            // round(0.5 · 3) = 2 (midpoint away from zero)
        Assert.Equal(6, twoSynth.Count);             // 2 · 3
        Assert.Equal(halfSynth, twoSynth.Take(2));   // the smaller mix is a prefix of the larger one
        Assert.All(two.Where(c => c.Source != "real"), c =>
        {
            Assert.Equal("scarce", c.Label);
            Assert.Equal(Splits.Train, c.Split);
            Assert.Equal("medgen", c.Source);
            Assert.StartsWith(Path.GetDirectoryName(manifest)!, c.Path);
        });
        Assert.Equal(0, twoSummary.Synthetic["common"]);
        Assert.Equal(6, twoSummary.Synthetic["scarce"]);
        Assert.Equal(3, twoSummary.Real["scarce"]);
        Assert.Equal(2, halfSummary.Synthetic["scarce"]);
        Assert.Equal(6, allSummary.Synthetic["common"]); // no target list: every class, 1 per real clip
        Assert.Equal(3, allSummary.Synthetic["scarce"]);
        Assert.Equal(9 + 9, all.Count);
    }

    [Fact]
    public void OnlyAcceptedClipsAreUsedAndShortfallIsReported()
    {
        var manifest = Manifest(Synth("scarce", 0, accepted: false), Synth("scarce", 1), Synth("scarce", 2));
        var (train, summary) = SyntheticMixer.Mix(Scarce(), new MixOptions(manifest, 2, ["scarce"]));

        var synthetic = train.Where(c => c.Source != "real").Select(c => Path.GetFileName(c.Path)).ToList();
        Assert.Equal(["scarce_1.mp4", "scarce_2.mp4"], synthetic);
        Assert.Equal(6, summary.Requested["scarce"]);
        Assert.Equal(2, summary.Synthetic["scarce"]);
    }

    [Fact]
    public void ValidationAndTestAreNeverMixed()
    {
        var manifest = Manifest([.. Enumerable.Range(0, 4).Select(i => Synth("scarce", i))]);
        var (train, _) = SyntheticMixer.Mix(Scarce(), new MixOptions(manifest, 1));
        Assert.All(train, c => Assert.Equal(Splits.Train, c.Split));
        Assert.DoesNotContain(train, c => c.Path.EndsWith("v.mp4") || c.Path.EndsWith("t.mp4"));
    }

    [Fact]
    public void UnknownLabelMissingManifestAndUnknownTargetAreClearErrors()
    {
        var bad = Manifest(Synth("scarce", 0), Synth("polyp", 1));
        var e = Assert.Throws<InvalidDataException>(() => SyntheticMixer.Mix(Scarce(), new MixOptions(bad, 1)));
        Assert.Contains(bad, e.Message);
        Assert.Contains("'polyp'", e.Message);

        var missing = Path.Combine(TinyClips.TempDir(), "nope.jsonl");
        var f = Assert.Throws<FileNotFoundException>(() => SyntheticMixer.Mix(Scarce(), new MixOptions(missing, 1)));
        Assert.Contains(missing, f.Message);

        var t = Assert.Throws<ArgumentException>(() => SyntheticMixer.Mix(Scarce(), new MixOptions(bad, 1, ["rare"])));
        Assert.Contains("'rare'", t.Message);
    }
}
