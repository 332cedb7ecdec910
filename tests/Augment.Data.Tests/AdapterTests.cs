using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;

namespace Augment.Tests.Data;

/// <summary>Each adapter on a small tree built in the dataset's published layout.</summary>
public class AdapterTests
{
    static string Video(string path, int frames = 6) => Fixtures.WriteVideo(path, frames, size: 20);

    static void NoVideoOnTwoSides(Dataset data) =>
        Assert.All(data.Clips.GroupBy(c => c.VideoId), g => Assert.Single(g.Select(c => c.Split).Distinct()));

    [Fact]
    public void MedVidClUsesItsOwnSplitsAndListsMissingVideos()
    {
        using var dir = new TempDir();
        static string Entry(string id, string label) =>
            $$"""{"video_id": "{{id}}", "video_link": "https://www.youtube.com/watch?v={{id}}", "video_title": "t {{id}}", "label": "{{label}}"}""";
        File.WriteAllText(dir["train.json"], $"[{Entry("aaa", "Medical Instructional")}, {Entry("bbb", "Non-medical")}, {Entry("ccc", "Medical Non-instructional")}, {Entry("gone", "Non-medical")}, {Entry("odd", "Cooking")}, {Entry("aaa", "Medical Instructional")}]");
        File.WriteAllText(dir["val.json"], $"[{Entry("ddd", "Non-medical")}]");
        File.WriteAllText(dir["test.json"], $"[{Entry("eee", "Medical Instructional")}, {Entry("empty", "Non-medical")}]");
        foreach (var id in new[] { "aaa", "bbb", "ccc", "ddd" }) Video(dir[$"vids/{id}.mp4"]);
        Video(dir["vids/eee.webm.mp4"]); // id 'eee.webm' is not 'eee'
        File.Move(dir["vids/eee.webm.mp4"], dir["vids/eee.mkv"]);
        File.WriteAllBytes(dir["vids/empty.mp4"], []);

        var data = DatasetLoader.Load(new DatasetSpec { Name = "medvidcl", Adapter = "medvidcl", Root = dir.Path, VideoDir = dir["vids"] });

        Assert.Equal(["Medical Instructional", "Medical Non-instructional", "Non-medical"], data.Classes);
        Assert.Equal(["aaa", "bbb", "ccc"], data.Split(Splits.Train).Select(c => c.VideoId).Order());
        Assert.Equal("ddd", Assert.Single(data.Split(Splits.Val)).VideoId);
        Assert.Equal("eee", Assert.Single(data.Split(Splits.Test)).VideoId);
        Assert.Equal(["train/gone"], data.Missing);
        Assert.Contains(data.Quarantined, q => q.Reason.Contains("unknown label 'Cooking'"));
        Assert.Contains(data.Quarantined, q => q.Reason.Contains("duplicate video_id"));
        Assert.Contains(data.Quarantined, q => q.Path.EndsWith("empty.mp4") && q.Reason.Contains("zero-length"));
        Assert.Equal(1, data.Unmapped["Cooking"]);
        Assert.StartsWith("a medical instructional video", data.Prompts["Medical Instructional"]);
    }

    [Fact]
    public void MedVidClCutsLongVideosIntoSeededWindows()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["train.json"], """[{"video_id": "long", "video_link": "", "video_title": "", "label": "Non-medical"}]""");
        Video(dir["videos/long.mp4"], frames: 30);
        var spec = new DatasetSpec { Name = "m", Adapter = "medvidcl", Root = dir.Path, ClipsPerVideo = 3, WindowFrames = 6, Seed = 1 };
        var data = DatasetLoader.Load(spec, new ClipSpec(4, 16, 16));
        var clips = data.Clips.OrderBy(c => c.StartFrame).ToList();
        Assert.Equal(3, clips.Count);
        Assert.All(clips, c => Assert.Equal((6, "long", Splits.Train), (c.FrameCount, c.VideoId, c.Split)));
        for (int i = 0; i < 3; i++) Assert.InRange(clips[i].StartFrame, i * 10, i * 10 + 4);
        Assert.Equal(clips.Select(c => c.StartFrame), DatasetLoader.Load(spec, new ClipSpec(4, 16, 16)).Clips.OrderBy(c => c.StartFrame).Select(c => c.StartFrame));
    }

    [Fact]
    public void HyperKvasirReadsClassFoldersAndTheFindingCsv()
    {
        using var dir = new TempDir();
        var tract = dir["labeled-videos/lower-gi-tract"];
        for (int i = 0; i < 4; i++) Video(Path.Combine(tract, "pathological-findings", "polyps", $"p{i}.avi"), 30);
        for (int i = 0; i < 4; i++) Video(Path.Combine(tract, "therapeutic-interventions", "dyed-lifted-polyps", $"d{i}.avi"), 30);
        Video(Path.Combine(tract, "quality-of-mucosal-views", "bbps-0-1", "q.avi"));
        Video(Path.Combine(tract, "pathological-findings", "mystery-class", "m.avi"));
        Video(dir["unsorted/x1.avi"], 30);
        Video(dir["unsorted/x2.mpg"], 30);
        Video(dir["unsorted/y.avi"]);
        Video(dir["unsorted/z.avi"]);
        File.WriteAllText(dir["hyper-kvasir-video-metadata.csv"], """
            file-name;finding;width;height;number-of-frames;fps;length;kilobytes
            x1.avi;Lifted polyp;20;20;30;8;4;10
            x2.mpg;Dye-lifted  POLYP;20;20;30;8;4;10
            y.avi;None;20;20;6;8;1;3
            z.avi;alien artefact;20;20;6;8;1;3
            p0.avi;polyp;20;20;30;8;4;10
            absent.avi;polyp;720;576;100;25;4;100
            """.Replace("            ", ""));

        var spec = new DatasetSpec { Name = "hyperkvasir", Adapter = "hyperkvasir", Root = dir.Path, ClipsPerVideo = 3, Seed = 5, TestFraction = 0.25, ValFraction = 0.25 };
        var data = DatasetLoader.Load(spec, new ClipSpec(4, 16, 16));

        Assert.Equal(4 * 3, data.Clips.Count(c => c.Label == "polyp"));
        Assert.Equal(6 * 3, data.Clips.Count(c => c.Label == "dyed-lifted-polyp"));
        Assert.Contains(data.Clips, c => c.Path.EndsWith("x2.mpg") && c.Label == "dyed-lifted-polyp");
        Assert.Contains(data.Quarantined, q => q.Path.EndsWith("q.avi") && q.Reason.Contains("excluded"));
        Assert.Contains(data.Quarantined, q => q.Path.EndsWith("m.avi") && q.Reason.Contains("unknown label"));
        Assert.Contains(data.Quarantined, q => q.Path.EndsWith("y.avi") && q.Reason.Contains("'None' is excluded"));
        Assert.Contains(data.Quarantined, q => q.Path.EndsWith("z.avi") && q.Reason.Contains("maps to no class"));
        Assert.Equal(1, data.Unmapped["alien artefact"]);
        Assert.Equal(["absent.avi"], data.Missing);
        NoVideoOnTwoSides(data);
        foreach (var cls in new[] { "polyp", "dyed-lifted-polyp" })
            foreach (var split in new[] { Splits.Train, Splits.Val, Splits.Test })
                Assert.Contains(data.Clips, c => c.Label == cls && c.Split == split); // stratified

        var again = DatasetLoader.Load(spec, new ClipSpec(4, 16, 16));
        Assert.Equal(data.Clips, again.Clips);
        var reseeded = DatasetLoader.Load(spec with { Seed = 6 }, new ClipSpec(4, 16, 16));
        Assert.NotEqual(data.Clips.Select(c => (c.Path, c.Split, c.StartFrame)), reseeded.Clips.Select(c => (c.Path, c.Split, c.StartFrame)));
    }

    [Fact]
    public void SurgVisDomMapsDomainsToSplitsAndSkipsUnlabelled()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++) Video(dir[$"VR/Knot_Tying/KT_{i}.mp4"]);
        Video(dir["VR/needle driving/ND_0001/clip-a.mp4"]);
        Video(dir["VR/needle driving/ND_0001/clip-b.mp4"]);
        Video(dir["vr/needle-driving/ND_0002.mp4"]);
        var frames = Fixtures.Ramp(5, 20, 20);
        Directory.CreateDirectory(dir["VR/DISSECTION/DS_0001"]);
        for (int t = 0; t < 5; t++)
        {
            using var m = new OpenCvSharp.Mat(20, 20, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(10 + 40 * t));
            OpenCvSharp.Cv2.ImWrite(dir[$"VR/DISSECTION/DS_0001/{t + 1}.png"], m);
        }
        Video(dir["Porcine/knot-tying/P_1.mp4"]);
        Video(dir["Porcine/-1/P_2.mp4"]);
        Video(dir["Porcine/-1/P_3.mp4"]);

        var data = DatasetLoader.Load(new DatasetSpec { Name = "surgvisdom", Adapter = "surgvisdom", Root = dir.Path });
        Assert.Equal(["dissection", "knot-tying", "needle-driving"], data.Classes);
        Assert.All(data.Clips.Where(c => !c.Path.Contains("Porcine")), c => Assert.NotEqual(Splits.Test, c.Split));
        Assert.Equal("P_1", Path.GetFileNameWithoutExtension(Assert.Single(data.Split(Splits.Test)).Path));
        Assert.Equal(2, data.Quarantined.Count(q => q.Reason.Contains("unlabelled")));
        var perVideo = data.Clips.Where(c => c.VideoId.EndsWith("ND_0001")).ToList();
        Assert.Equal(2, perVideo.Count);
        NoVideoOnTwoSides(data);
        var frameFolder = Assert.Single(data.Clips, c => c.Label == "dissection");
        var clip = VideoIO.Read(frameFolder.Path, new ClipSpec(5, 20, 20));
        Assert.InRange(Fixtures.Mean(clip, 4, 0), 160, 180); // 5th frame: grey 170

        var swapped = DatasetLoader.Load(new DatasetSpec
        {
            Name = "surgvisdom", Adapter = "surgvisdom", Root = dir.Path,
            DomainSplits = new Dictionary<string, string> { ["Porcine"] = "train+val", ["VR"] = "test" },
        });
        Assert.Equal(7, swapped.Split(Splits.Test).Count());
        Assert.DoesNotContain(swapped.Split(Splits.Test), c => c.Path.Contains("Porcine"));
    }

    [Fact]
    public void FolderLayoutSplitsByVideoOrHonoursSplitFolders()
    {
        using var dir = new TempDir();
        foreach (var cls in new[] { "b-class", "a-class" })
            for (int i = 0; i < 6; i++) Video(dir[$"flat/{cls}/v{i}.mp4"]);
        File.WriteAllText(dir["flat/a-class/notes.txt"], "not a video");
        File.Copy(dir["flat/a-class/v0.mp4"], dir["flat/b-class/copy-of-a0.mp4"]);
        var flat = DatasetLoader.Load(new DatasetSpec { Name = "f", Adapter = "folder", Root = dir["flat"], Seed = 2 });
        Assert.Equal(["a-class", "b-class"], flat.Classes);
        Assert.Equal(12, flat.Clips.Count);
        Assert.All(flat.Classes, c => Assert.Equal(1, flat.Split(Splits.Test).Count(x => x.Label == c)));
        Assert.Contains(flat.Quarantined, q => q.Path.EndsWith("notes.txt"));
        Assert.Contains(flat.Quarantined, q => q.Path.EndsWith("copy-of-a0.mp4") && q.Reason.Contains("same content as") && q.Reason.Contains("labelled 'a-class'"));
        Assert.Equal("a video of a-class", flat.Prompts["a-class"]);

        Video(dir["split/train/x/1.mp4"]);
        Video(dir["split/val/x/2.mp4"]);
        Video(dir["split/test/y/3.mp4"]);
        Video(dir["split/test/z/4.mp4"]);
        File.WriteAllText(dir["split/classes.yaml"], "classes:\n  - name: y\n    prompt: why\n  - name: x\n");
        var split = DatasetLoader.Load(new DatasetSpec { Name = "s", Adapter = "folder", Root = dir["split"] });
        Assert.Equal(["y", "x"], split.Classes);                        // classes.yaml order
        Assert.Equal((Splits.Train, Splits.Val), (split.Clips.Single(c => c.Path.EndsWith("1.mp4")).Split, split.Clips.Single(c => c.Path.EndsWith("2.mp4")).Split));
        Assert.Contains(split.Quarantined, q => q.Path.EndsWith("4.mp4") && q.Reason.Contains("unknown label 'z'"));
        Assert.Equal("why", split.Prompts["y"]);
        Assert.Equal("a video of x", split.Prompts["x"]);
    }
}
