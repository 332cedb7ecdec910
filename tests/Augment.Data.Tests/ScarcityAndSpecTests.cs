using Augment.Data;
using Augment.Data.Datasets;

namespace Augment.Tests.Data;

public class ScarcityAndSpecTests
{
    /// <summary>Two classes, 8 source videos each, cut into 2 clips per video; explicit splits via a manifest.</summary>
    static DatasetSpec Build(TempDir dir)
    {
        var lines = new List<string> { "path,label,split" };
        foreach (var cls in new[] { "common", "rare" })
            for (int i = 0; i < 8; i++)
            {
                Fixtures.WriteVideo(dir[$"{cls}/{i}.mp4"], frames: 12, size: 20);
                lines.Add($"{cls}/{i}.mp4,{cls},{(i < 6 ? "train" : "test")}");
            }
        File.WriteAllLines(dir["m.csv"], lines);
        return new DatasetSpec { Name = "s", Adapter = "manifest", Root = dir.Path, Manifest = dir["m.csv"], ClipsPerVideo = 2 };
    }

    [Fact]
    public void KeepLeavesExactlyNTrainingClipsSeededWholeVideosFirst()
    {
        using var dir = new TempDir();
        var spec = Build(dir) with { Keep = new Dictionary<string, int> { ["rare"] = 3 }, Seed = 11 };
        var clip = new ClipSpec(4, 16, 16);
        var data = DatasetLoader.Load(spec, clip);

        var rare = data.Split(Splits.Train).Where(c => c.Label == "rare").ToList();
        Assert.Equal(3, rare.Count);
        Assert.Equal(2, rare.GroupBy(c => c.VideoId).Count());             // one whole video + one clip of another
        Assert.Equal(12, data.Split(Splits.Train).Count(c => c.Label == "common"));
        Assert.Equal(4, data.Split(Splits.Test).Count(c => c.Label == "rare")); // keep touches training only
        Assert.Equal(9, data.KeptOut["rare"]);

        Assert.Equal(rare, DatasetLoader.Load(spec, clip).Split(Splits.Train).Where(c => c.Label == "rare"));
        var picks = Enumerable.Range(0, 6).Select(s => string.Join(",", DatasetLoader.Load(spec with { Seed = s }, clip)
            .Split(Splits.Train).Where(c => c.Label == "rare").Select(c => c.VideoId).Distinct().Order())).Distinct().Count();
        Assert.True(picks > 1, "different seeds pick different videos");

        var zero = DatasetLoader.Load(spec with { Keep = new Dictionary<string, int> { ["rare"] = 0 } }, clip);
        Assert.DoesNotContain(zero.Split(Splits.Train), c => c.Label == "rare");
    }

    [Fact]
    public void SameSeedGivesTheSameSplitsWindowsAndKeepWhereverTheDataLives()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var spec = Build(a) with { Keep = new Dictionary<string, int> { ["rare"] = 3 }, Seed = 4, WindowFrames = 5 };
        foreach (var f in Directory.GetFiles(a.Path, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(b.Path, Path.GetRelativePath(a.Path, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        var clip = new ClipSpec(4, 16, 16);
        IEnumerable<(string, string, int, int)> Relative(Dataset d, string root) =>
            d.Clips.Select(c => (Path.GetRelativePath(root, c.Path), c.Split, c.StartFrame, c.FrameCount));
        var here = DatasetLoader.Load(spec, clip);
        var there = DatasetLoader.Load(spec with { Root = b.Path, Manifest = Path.Combine(b.Path, "m.csv") }, clip);
        Assert.Equal(Relative(here, a.Path), Relative(there, b.Path));
        Assert.Contains(here.Clips, c => c.StartFrame > 0 && c.StartFrame != 6); // seeded offsets, not just part starts
    }

    [Fact]
    public void SpecYamlResolvesPathsAndRejectsBadKeysWithLine()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["spec.yaml"], """
            name: hk
            adapter: HyperKvasir
            root: data/hk
            manifest: meta.csv
            keep: {polyp: 5, ulcer: 2}
            clips_per_video: 4
            domain_splits:
              VR: train+val
              Porcine: test
            seed: 9
            """.Replace("            ", ""));
        var spec = DatasetSpecYaml.Load(dir["spec.yaml"]);
        Assert.Equal(("hk", "hyperkvasir", dir["data/hk"], dir["meta.csv"], 4, 9L), (spec.Name, spec.Adapter, spec.Root, spec.Manifest, spec.ClipsPerVideo, spec.Seed));
        Assert.Equal(5, spec.Keep["polyp"]);
        Assert.Equal("test", spec.DomainSplits["Porcine"]);

        void Bad(string yaml, string expected, int line)
        {
            File.WriteAllText(dir["bad.yaml"], yaml);
            var e = Assert.Throws<DatasetSpecException>(() => DatasetSpecYaml.Load(dir["bad.yaml"]));
            Assert.Contains(expected, e.Message);
            if (line > 0) Assert.Equal(line, e.Line);
            else Assert.True(e.Line > 0, "a syntax error still names a line");
            Assert.Contains("bad.yaml", e.Message);
        }
        Bad("name: a\nadapter: folder\nroot: .\nclip_per_video: 2\n", "clip_per_video: unknown key", 4);
        Bad("name: a\nadapter: folder\nroot: .\nval_fraction: lots\n", "val_fraction", 4);
        Bad("name: a\nadapter: tape\nroot: .\n", "'tape' is not one of", 2);
        Bad("adapter: folder\nroot: .\n", "name: required key is missing", 1);
        Bad("name: a\nadapter: folder\nroot: .\nkeep:\n  x: -1\n", "keep.x", 5);
        Bad("name: a\nadapter: folder\nroot: [.\n", "yaml", 0); // YamlDotNet reports where it noticed
    }
}
