using System.CommandLine;
using Augment.Cli.Commands;
using Augment.Data;
using Augment.Data.Datasets;

namespace Augment.Tests.Data;

/// <summary>Crashes, silent drops and misleading reasons: each case built, its message asserted, the rest still used.</summary>
[Collection("Console")] // these cases run `augment datasets` and read Console.Out and Console.Error
public class HonestReportTests
{
    static string Video(string path, int frames = 6) => Fixtures.WriteVideo(path, frames, size: 16);

    static (int Code, string Out, string Err) RunCli(params string[] args)
    {
        var root = new RootCommand("augment");
        root.Subcommands.Add(DatasetsCommand.Create());
        var err = new StringWriter();
        var previous = Console.Error;
        Console.SetError(err);
        try
        {
            var (code, output) = CliCapture.Run(() => root.Parse(args).Invoke());
            return (code, output, err.ToString());
        }
        finally { Console.SetError(previous); }
    }

    static string SplitFolders(TempDir dir, string root = "data", int frames = 6)
    {
        foreach (var split in new[] { "train", "val", "test" })
            foreach (var cls in new[] { "a", "b" })
                Video(dir[$"{root}/{split}/{cls}/0.mp4"], frames);
        File.WriteAllText(dir["spec.yaml"], $"name: d\nadapter: folder\nroot: {root}\n");
        return dir["spec.yaml"];
    }

    [Fact]
    public void AQuarantineListThatCannotBeWrittenIsOneLineNamingThePath()
    {
        using var dir = new TempDir();
        var spec = SplitFolders(dir);
        File.WriteAllText(dir["blocker"], "a file where a folder should be");

        var (code, output, err) = RunCli("datasets", "validate", spec, "--quarantine", dir["blocker/q.csv"], "--frames", "4");

        Assert.Equal(2, code);
        Assert.True(output.Contains("6 clips usable"), output); // the dataset itself was still read and reported
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"datasets validate: {dir["blocker/q.csv"]}: cannot write:", line);
        Assert.DoesNotContain(".tmp", line);

        // Rendering the demo where it cannot write: one line naming the file, exit 2.
        var demo = RunCli("datasets", "demo", "--out", dir["blocker/demo"], "--frames", "2", "--size", "8");
        Assert.Equal(2, demo.Code);
        Assert.StartsWith($"datasets demo: {dir["blocker/demo"]}", Assert.Single(demo.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void AMedVidClIdWithTwoDownloadsAndSurgVisDomLabelRowsAreAllReported()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["m"]);
        File.WriteAllText(dir["m/train.json"], """[{"video_id": "a", "label": "Non-medical"}, {"video_id": "b", "label": "Medical Instructional"}, {"video_id": "c", "label": "Medical: other"}]""");
        Video(dir["m/videos/a.mp4"]);
        File.Move(Video(dir["m/videos/a2.mp4"]), dir["m/videos/a.webm"]);
        Video(dir["m/videos/b.mp4"]);
        Video(dir["m/videos/c.mp4"]);
        var medvid = DatasetLoader.Load(new DatasetSpec { Name = "medvidcl", Adapter = "medvidcl", Root = dir["m"] });
        Assert.Equal(["a.mp4", "b.mp4"], medvid.Clips.Select(c => Path.GetFileName(c.Path)).Order());
        var second = Assert.Single(medvid.Quarantined, q => q.Path == dir["m/videos/a.webm"]);
        Assert.Equal((QuarantineKind.Duplicate, "a second download of video_id 'a': a.mp4 is used"), (second.Kind, second.Reason));
        // A row with a bad label is an annotated video with a bad label, not an unannotated video.
        Assert.Single(medvid.Quarantined, q => q.Kind == QuarantineKind.UnknownLabel && q.Path.EndsWith("#3 (c)"));
        Assert.DoesNotContain(medvid.Quarantined, q => q.Kind == QuarantineKind.NotAnnotated);
        Assert.Equal(2, medvid.Quarantined.Count);

        for (int i = 0; i < 2; i++) Video(dir[$"s/VR/Dissection/DS_{i}.mp4"]);
        Video(dir["s/Porcine/twice_same.mp4"]);
        Video(dir["s/Porcine/twice_conflict.mp4"]);
        Video(dir["s/Porcine/fine.mp4"]);
        File.WriteAllText(dir["s/Porcine/labels.csv"],
            "file,label\ntwice_same.mp4,Knot_Tying\ntwice_conflict.mp4,Dissection\nghost.mp4,Dissection\ntwice_same.mp4,knot tying\ntwice_conflict.mp4,Needle_Driving\nfine.mp4,Needle_Driving\n");
        var svd = DatasetLoader.Load(new DatasetSpec { Name = "svd", Adapter = "surgvisdom", Root = dir["s"] });
        var csv = dir["s/Porcine/labels.csv"];
        Assert.Equal(["fine.mp4", "twice_same.mp4"], svd.Split(Splits.Test).Select(c => Path.GetFileName(c.Path)).Order());
        Assert.Equal(2, svd.Clips.Count(c => c.Label == "dissection"));
        var ghost = Assert.Single(svd.Quarantined, q => q.Path == dir["s/Porcine/ghost.mp4"]);
        Assert.Equal((QuarantineKind.Missing, $"listed in {csv}:4, but there is no such file in {dir["s/Porcine"]}"), (ghost.Kind, ghost.Reason));
        Assert.Equal(QuarantineKind.Duplicate, Assert.Single(svd.Quarantined, q => q.Path == $"{csv}:5").Kind);
        Assert.Equal(QuarantineKind.LabelConflict, Assert.Single(svd.Quarantined, q => q.Path == $"{csv}:6").Kind);
        var conflict = Assert.Single(svd.Quarantined, q => q.Path == dir["s/Porcine/twice_conflict.mp4"]);
        Assert.Equal((QuarantineKind.LabelConflict, $"labels.csv gives two labels: 'Dissection' at {csv}:3, 'Needle_Driving' at line 6; not used"), (conflict.Kind, conflict.Reason));
        Assert.Equal(4, svd.Quarantined.Count);
    }

    [Fact]
    public void ManifestRowsKeepTheirLineNumbersAndATextFileIsNotAVideo()
    {
        using var dir = new TempDir();
        Video(dir["root/a.mp4"]);
        Video(dir["root/b.mp4"]);
        File.WriteAllText(dir["root/notes.txt"], "not a video at all, but long enough to look like a file");
        var outside = Video(dir["elsewhere/x.mp4"]);
        File.WriteAllText(dir["m.csv"], $"path,label\na.mp4,x\n../elsewhere/x.mp4,x\n{outside},y\nnotes.txt,y\nb.mp4,y\ngone.mp4,y\n");

        var data = DatasetLoader.Load(new DatasetSpec { Name = "m", Adapter = "manifest", Root = dir["root"], Manifest = dir["m.csv"], TestFraction = 0, ValFraction = 0 });

        Assert.Equal(["a.mp4", "b.mp4"], data.Clips.Select(c => Path.GetFileName(c.Path)).Order());
        var refused = data.Quarantined.Where(q => q.Kind == QuarantineKind.OutsideRoot).Select(q => q.Reason).ToList();
        Assert.Equal(2, refused.Count);
        Assert.EndsWith($"({dir["m.csv"]}:3)", refused[0]);
        Assert.EndsWith($"({dir["m.csv"]}:4)", refused[1]);
        Assert.Single(data.Quarantined, q => q.Kind == QuarantineKind.Missing && q.Reason == $"file not found ({dir["m.csv"]}:7)");
        var txt = Assert.Single(data.Quarantined, q => q.Path == dir["root/notes.txt"]);
        Assert.Equal((QuarantineKind.NotVideo, $"not a video file ('.txt') ({dir["m.csv"]}:5)"), (txt.Kind, txt.Reason));
    }

    [Fact]
    public void WrongRootsAndFrameCountsAreRefusedWithWhatWasExpected()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 2; i++)
        {
            Video(dir[$"svd/train/VR/Dissection/DS_{i}.mp4"]);
            Video(dir[$"svd/train/VR/Knot_Tying/KT_{i}.mp4"]);
        }
        File.WriteAllText(dir["vr.yaml"], "name: svd\nadapter: surgvisdom\nroot: svd/train/VR\n");
        var tooDeep = Assert.Throws<DatasetSpecException>(() => DatasetLoader.Load(DatasetSpecYaml.Load(dir["vr.yaml"])));
        Assert.Equal($"{dir["vr.yaml"]}:3: root: {dir["svd/train/VR"]} holds class folders (Dissection, Knot_Tying), so it is one domain folder; " +
                     $"root must be the folder that holds the domain folders (VR, Porcine), e.g. {dir["svd/train"]}", tooDeep.Message);
        // The root it suggests is read.
        Assert.Equal(4, DatasetLoader.Load(new DatasetSpec { Name = "svd", Adapter = "surgvisdom", Root = dir["svd/train"] }).Clips.Count);

        File.WriteAllText(dir["file-root.yaml"], "name: f\nadapter: folder\nroot: vr.yaml\n");
        var (code, _, err) = RunCli("datasets", "validate", dir["file-root.yaml"], "--quarantine", dir["q.csv"]);
        Assert.Equal(2, code);
        Assert.Equal($"invalid dataset spec: {dir["file-root.yaml"]}:3: root: {dir["vr.yaml"]} is a file, not a folder", err.Trim());
        File.WriteAllText(dir["dir-manifest.yaml"], "name: m\nadapter: manifest\nroot: .\nmanifest: svd\n");
        var manifest = Assert.Throws<DatasetSpecException>(() => DatasetLoader.Load(DatasetSpecYaml.Load(dir["dir-manifest.yaml"])));
        Assert.Equal($"{dir["dir-manifest.yaml"]}:4: manifest: {dir["svd"]} is a folder, not a file", manifest.Message);

        var spec = SplitFolders(dir, "ok");
        foreach (var frames in new[] { "0", "-5" })
        {
            var (refused, _, why) = RunCli("datasets", "validate", spec, "--quarantine", dir["q.csv"], "--frames", frames);
            Assert.NotEqual(0, refused);
            Assert.Contains($"--frames {frames}: a clip needs at least 1 frame", why);
            Assert.False(File.Exists(dir["q.csv"]));
        }
        Assert.Equal(0, RunCli("datasets", "validate", spec, "--quarantine", dir["q.csv"], "--frames", "1").Code);
    }

    [Fact]
    public void AVideoTooShortForClipsPerVideoGetsANote()
    {
        using var dir = new TempDir();
        foreach (var split in new[] { "train", "val", "test" })
            foreach (var cls in new[] { "a", "b" })
                Video(dir[$"{split}/{cls}/long.mp4"], frames: 32);
        Video(dir["train/a/short.mp4"], frames: 10);
        var spec = new DatasetSpec { Name = "w", Adapter = "folder", Root = dir.Path, ClipsPerVideo = 4 };

        var data = DatasetLoader.Load(spec, new ClipSpec(8, 16, 16));

        Assert.Equal(6 * 4 + 1, data.Clips.Count);
        Assert.Single(data.Clips, c => c.Path.EndsWith("short.mp4"));
        var note = Assert.Single(data.Warnings, w => w.Text.Contains("clips_per_video"));
        Assert.Equal("1 video(s) are too short for clips_per_video: 4 windows and give fewer (e.g. train/a/short.mp4: 10 frames give 1 of 8 frames): those videos count less in training", note.Text);
        Assert.False(note.Fatal);
    }
}
