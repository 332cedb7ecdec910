using Augment.Data;
using Augment.Data.Datasets;

namespace Augment.Tests.Data;

/// <summary>Manifests with every kind of bad entry: each is set aside with its reason, the rest loads.</summary>
public class BadInputTests
{
    static string Video(string path, int frames = 6) => Fixtures.WriteVideo(path, frames, size: 20);

    [Fact]
    public void ManifestCsvQuarantinesEveryBadEntryWithAReason()
    {
        using var dir = new TempDir();
        var root = dir["root"];
        Video(Path.Combine(root, "clips/good1.mp4"));
        Video(Path.Combine(root, "clips/good2.mp4"));
        Video(Path.Combine(root, "clips/short.mp4"), frames: 2);
        File.WriteAllBytes(Path.Combine(root, "clips/empty.mp4"), []);
        File.WriteAllBytes(Path.Combine(root, "clips/corrupt.mp4"), Enumerable.Repeat((byte)0x42, 4096).ToArray());
        var outside = Video(dir["outside/secret.mp4"]);
        File.CreateSymbolicLink(Path.Combine(root, "clips/link.mp4"), outside);
        Directory.CreateDirectory(dir["outside/dir"]);
        Video(dir["outside/dir/inner.mp4"]);
        File.CreateSymbolicLink(Path.Combine(root, "linkdir"), dir["outside/dir"]);
        File.WriteAllText(Path.Combine(root, "manifest.csv"), $"""
            path,label,split
            clips/good1.mp4,cat,train
            clips/good2.mp4,dog,test
            clips/good1.mp4,cat,train
            clips/good1.mp4,dog,test
            clips/short.mp4,cat,train
            clips/empty.mp4,cat,train
            clips/corrupt.mp4,dog,train
            clips/missing.mp4,dog,train
            ../outside/secret.mp4,dog,train
            {outside},dog,train
            clips/link.mp4,dog,train
            linkdir/inner.mp4,dog,train
            clips/good2.mp4,,train
            "clips/good2.mp4",dog,holdout
            """.Replace("            ", ""));

        var spec = new DatasetSpec { Name = "m", Adapter = "manifest", Root = root, Manifest = Path.Combine(root, "manifest.csv") };
        var data = DatasetLoader.Load(spec, new ClipSpec(4, 16, 16, Pad: PadPolicy.Reject));

        Assert.Equal(["cat", "dog"], data.Classes);
        Assert.Equal(["good1.mp4", "good2.mp4"], data.Clips.Select(c => Path.GetFileName(c.Path)));
        string Reason(string file) => string.Join(" | ", data.Quarantined.Where(q => q.Path.EndsWith(file)).Select(q => q.Reason));
        Assert.Contains("duplicate entry (already listed as 'cat')", Reason("good1.mp4"));
        Assert.Contains("conflicting label 'dog'", Reason("good1.mp4"));
        Assert.Contains("too short: 2 frames", Reason("short.mp4"));
        Assert.Contains("zero-length", Reason("empty.mp4"));
        Assert.Contains("cannot be opened", Reason("corrupt.mp4"));
        Assert.Contains("file not found", Reason("missing.mp4"));
        Assert.Equal(2, data.Quarantined.Count(q => q.Path.EndsWith("secret.mp4") && q.Reason.Contains("escapes the dataset root")));
        Assert.Contains("symlink points outside", Reason("link.mp4"));
        Assert.Contains("symlink points outside", Reason("inner.mp4"));
        Assert.Contains(data.Quarantined, q => q.Reason.StartsWith("unlabelled"));
        Assert.Contains(data.Quarantined, q => q.Reason.Contains("unknown split 'holdout'"));
        Assert.Equal(12, data.Quarantined.Count); // every bad row accounted for, none dropped silently

        // With padding allowed the short video is usable.
        var padded = DatasetLoader.Load(spec, new ClipSpec(4, 16, 16, Pad: PadPolicy.RepeatLast));
        Assert.Contains(padded.Clips, c => c.Path.EndsWith("short.mp4"));
    }

    [Fact]
    public void ManifestJsonlReadsTheSameFields()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 4; i++) Video(dir[$"v{i}.mp4"]);
        File.WriteAllText(dir["m.jsonl"], """
            {"path": "v0.mp4", "label": "a", "split": "train", "video_id": "src1"}
            {"path": "v1.mp4", "label": "a", "split": "train", "video_id": "src1"}
            {"path": "v2.mp4", "label": "b", "split": "val"}

            {"path": "v3.mp4", "label": "b", "split": "test"}
            """.Replace("            ", ""));
        var data = DatasetLoader.Load(new DatasetSpec { Name = "j", Adapter = "manifest", Root = dir.Path, Manifest = dir["m.jsonl"] });
        Assert.Equal(4, data.Clips.Count);
        Assert.Equal(2, data.Clips.Count(c => c.VideoId == "src1"));
        Assert.Equal(["v3.mp4"], data.Split(Splits.Test).Select(c => Path.GetFileName(c.Path)));
    }

    [Fact]
    public void SpecProblemsThrowNamingTheProblem()
    {
        using var dir = new TempDir();
        Assert.Throws<DirectoryNotFoundException>(() => DatasetLoader.Load(new DatasetSpec { Name = "x", Adapter = "folder", Root = dir["nope"] }));
        var e = Assert.Throws<ArgumentException>(() => DatasetLoader.Load(new DatasetSpec { Name = "x", Adapter = "youtube", Root = dir.Path }));
        Assert.Contains("unknown adapter 'youtube'", e.Message);
        Assert.Throws<FileNotFoundException>(() => DatasetLoader.Load(new DatasetSpec { Name = "x", Adapter = "medvidcl", Root = dir.Path }));
        Video(dir["a/1.mp4"]);
        var keep = Assert.Throws<DatasetSpecException>(() => DatasetLoader.Load(new DatasetSpec
        {
            Name = "x", Adapter = "folder", Root = dir.Path, Keep = new Dictionary<string, int> { ["zebra"] = 1 },
        }));
        Assert.Contains("keep.zebra", keep.Message);
    }
}
