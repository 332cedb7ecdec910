using System.CommandLine;
using System.Text.Json;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Cli.Commands;

namespace Augment.Tests.Data;

/// <summary>Real-world messes in every adapter: each case is built, its message asserted, and the rest of the data still used.</summary>
[Collection("Console")] // some cases run `augment datasets` and read Console.Out
public class MessyDataTests
{
    static string Video(string path, int frames = 6) => Fixtures.WriteVideo(path, frames, size: 16);

    static DatasetSpec Folder(string root, string? groupBy = null) =>
        new() { Name = "messy", Adapter = "folder", Root = root, GroupBy = groupBy, Seed = 3 };

    static (int Code, string Out) RunCli(params string[] args)
    {
        var root = new RootCommand("augment");
        root.Subcommands.Add(DatasetsCommand.Create());
        return CliCapture.Run(() => root.Parse(args).Invoke());
    }

    [Fact]
    public void ClipsOfOnePatientFolderStayInOneSplit()
    {
        using var dir = new TempDir();
        foreach (var cls in new[] { "tumour", "normal" })
            for (int p = 0; p < 8; p++)
                for (int c = 0; c < 3; c++)
                    Video(dir[$"{cls}/patient{p}/clip{c}.mp4"]);
        // One patient under both classes: still one group.
        Video(dir["normal/patient0/extra.mp4"]);

        var data = DatasetLoader.Load(Folder(dir.Path));

        Assert.Equal(49, data.Clips.Count);
        Assert.All(data.Clips, c => Assert.StartsWith("patient", c.Group));
        Assert.All(data.Clips.GroupBy(c => c.Group), g => Assert.Single(g.Select(c => c.Split).Distinct()));
        Assert.All(new[] { Splits.Train, Splits.Val, Splits.Test }, s => Assert.Contains(data.Clips, c => c.Split == s));

        // Without grouping, files are split one by one and this seed puts one patient on several sides: the leak the rule prevents.
        var loose = DatasetLoader.Load(Folder(dir.Path, groupBy: "file"));
        Assert.All(loose.Clips, c => Assert.Null(c.Group));
        Assert.Contains(loose.Clips.GroupBy(c => Path.GetDirectoryName(c.Path)), g => g.Select(c => c.Split).Distinct().Count() > 1);

        var (code, output) = RunCli("datasets", "validate", WriteSpec(dir, "group_by: folder"), "--quarantine", dir["q.csv"], "--frames", "4");
        Assert.Equal(0, code);
        Assert.True(output.Contains("groups (patients or sources, each kept in one split)"), output);
    }

    [Fact]
    public void AGroupRegexOnTheFileNameGroupsFlatFolders()
    {
        using var dir = new TempDir();
        foreach (var cls in new[] { "a", "b" })
            for (int p = 0; p < 6; p++)
                for (int c = 0; c < 2; c++)
                    Video(dir[$"{cls}/p{p}_c{c}.mp4"]);
        var data = DatasetLoader.Load(Folder(dir.Path, groupBy: @"^(p\d+)_"));
        Assert.Equal(12, data.Clips.Select(c => c.Group).Distinct().Count() * 2);
        Assert.All(data.Clips.GroupBy(c => c.Group), g => Assert.Single(g.Select(c => c.Split).Distinct()));
    }

    [Fact]
    public void HiddenAndToolFoldersAreSkippedAndCounted()
    {
        using var dir = new TempDir();
        foreach (var split in new[] { "train", "val", "test" })
            foreach (var cls in new[] { "a", "b" })
                Video(dir[$"{split}/{cls}/{split}{cls}.mp4"]);
        Video(dir["train/.ipynb_checkpoints/x.mp4"]);
        Video(dir["train/__MACOSX/a/._trainb.mp4"]);
        File.WriteAllText(dir["train/a/.DS_Store"], "junk");
        Video(dir["train/@eaDir/thumb.mp4"]);

        var data = DatasetLoader.Load(Folder(dir.Path));

        Assert.Equal(["a", "b"], data.Classes);
        Assert.Equal(6, data.Clips.Count);
        Assert.Equal(4, data.Junk.Count);
        Assert.Empty(data.Quarantined);
    }

    [Fact]
    public void ADirectorySymlinkLoopIsReportedAndDoesNotRelabel()
    {
        using var dir = new TempDir();
        Video(dir["a/a1.mp4"]);
        Video(dir["b/b1.mp4"]);
        Video(dir["b/b2.mp4"]);
        Directory.CreateSymbolicLink(dir["a/up"], "..");

        var data = DatasetLoader.Load(Folder(dir.Path) with { TestFraction = 0, ValFraction = 0 });

        Assert.Equal(["a", "b"], data.Classes);
        Assert.Equal(["a", "b", "b"], data.Clips.Select(c => c.Label).Order());
        Assert.All(data.Clips, c => Assert.Equal(Path.GetFileName(Path.GetDirectoryName(c.Path))![0], c.Label[0]));
        var loop = Assert.Single(data.Quarantined);
        Assert.Equal((QuarantineKind.SymlinkLoop, dir["a/up"]), (loop.Kind, loop.Path));
        Assert.Contains("leads back to", loop.Reason);
    }

    [Fact]
    public void HyperKvasirReportsFolderCsvDisagreementsAndTheSpecChoosesTheSource()
    {
        using var dir = new TempDir();
        string Leaf(string cls) => $"labeled-videos/lower-gi-tract/pathological-findings/{cls}";
        Video(dir[$"{Leaf("polyps")}/moved.avi"]);
        Video(dir[$"{Leaf("polyps")}/agree.avi"]);
        Video(dir[$"{Leaf("ulcerative-colitis-grade-0-1")}/uc.avi"]);
        Video(dir["labeled-videos/loose/dup.avi"]);
        Video(dir[$"{Leaf("polyps")}/dup.avi"]);
        File.WriteAllText(dir["labeled-videos/meta.csv"],
            "file-name;finding;width;height;number-of-frames;fps;length;kilobytes\nmoved.avi;lifted polyp;1;1;1;1;1;1\nagree.avi;polyp;1;1;1;1;1;1\ndup.avi;polyp;1;1;1;1;1;1\n");
        var spec = new DatasetSpec { Name = "hk", Adapter = "hyperkvasir", Root = dir["labeled-videos"], TestFraction = 0, ValFraction = 0 };

        var byFolder = DatasetLoader.Load(spec);
        Assert.Equal("polyp", byFolder.Clips.Single(c => c.Path.EndsWith("moved.avi")).Label);
        Assert.Equal("inflammation", byFolder.Clips.Single(c => c.Path.EndsWith("uc.avi")).Label);
        var warning = Assert.Single(byFolder.Warnings, w => w.Text.Contains("disagree"));
        Assert.Contains("disagree on 1 video", warning.Text);
        Assert.Contains("moved.avi: folder 'polyps' → polyp, CSV finding 'lifted polyp' → dyed-lifted-polyp; using polyp", warning.Text);
        // Of two dup.avi, the one in a class folder is used even though the other sorts first.
        Assert.Contains(byFolder.Clips, c => c.Path == dir[$"{Leaf("polyps")}/dup.avi"]);
        Assert.Contains(byFolder.Quarantined, q => q.Path == dir["labeled-videos/loose/dup.avi"] && q.Kind == QuarantineKind.Duplicate && q.Reason.Contains("in a class folder"));

        var byCsv = DatasetLoader.Load(spec with { LabelSource = "csv" });
        Assert.Equal("dyed-lifted-polyp", byCsv.Clips.Single(c => c.Path.EndsWith("moved.avi")).Label);
        Assert.Equal(4, byCsv.Clips.Count);
    }

    [Fact]
    public void MalformedYamlNamesFileAndLine()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["spec.yaml"], "name: x\nadapter: [folder\nroot: .\n");
        var spec = Assert.Throws<DatasetSpecException>(() => DatasetSpecYaml.Load(dir["spec.yaml"]));
        Assert.StartsWith($"{dir["spec.yaml"]}:", spec.Message);

        File.WriteAllText(dir["findings.yaml"], "classes: [cancer]\nfindings:\n  tumor: [cancer]\n");
        var mapping = Assert.Throws<InvalidDataException>(() => LoadFindingMapping(dir["findings.yaml"]));
        Assert.StartsWith($"{dir["findings.yaml"]}:3:", mapping.Message);

        File.WriteAllText(dir["classes.yaml"], "- {name: cancer}\n");
        var prompts = Assert.Throws<InvalidDataException>(() => ClassPrompts.Load(dir["classes.yaml"]));
        Assert.StartsWith($"{dir["classes.yaml"]}:", prompts.Message);

        File.WriteAllText(dir["empty-root.yaml"], "name: x\nadapter: folder\nroot:\n");
        var empty = Assert.Throws<DatasetSpecException>(() => DatasetSpecYaml.Load(dir["empty-root.yaml"]));
        Assert.Equal($"{dir["empty-root.yaml"]}:3: root: is empty", empty.Message);

        // Through the CLI: one line on stderr, exit 2, no stack trace.
        var (code, _) = RunCli("datasets", "validate", dir["spec.yaml"]);
        Assert.Equal(2, code);
    }

    static object LoadFindingMapping(string path) => global::Augment.Data.Datasets.Adapters.FindingMapping.Load(path);

    [Fact]
    public void FileSymlinksPointingAtEachOtherAreQuarantinedAndTheRestIsUsed()
    {
        using var dir = new TempDir();
        Video(dir["a/one.mp4"]);
        Video(dir["a/two.mp4"]);
        Video(dir["b/three.mp4"]);
        File.CreateSymbolicLink(dir["a/x.mp4"], dir["a/y.mp4"]);
        File.CreateSymbolicLink(dir["a/y.mp4"], dir["a/x.mp4"]);
        File.CreateSymbolicLink(dir["b/broken.mp4"], dir["b/nowhere.mp4"]);

        var data = DatasetLoader.Load(Folder(dir.Path) with { TestFraction = 0, ValFraction = 0 });

        Assert.Equal(3, data.Clips.Count);
        Assert.Equal(2, data.Quarantined.Count(q => q.Kind == QuarantineKind.SymlinkLoop));
        Assert.Contains(data.Quarantined, q => q.Path == dir["b/broken.mp4"] && q.Reason.StartsWith("broken symlink"));
    }

    [Fact]
    public void OneBadJsonLineIsQuarantinedAndAJsonArrayManifestIsRead()
    {
        using var dir = new TempDir();
        Video(dir["v/a.mp4"]);
        Video(dir["v/b.mp4"]);
        Video(dir["v/c.mp4"]);
        File.WriteAllText(dir["m.jsonl"], "{\"path\": \"v/a.mp4\", \"label\": \"x\", \"split\": \"train\"}\n{not json\n{\"path\": \"v/b.mp4\", \"label\": \"y\", \"split\": \"dev\"}\n[1]\n{\"path\": \"v/c.mp4\", \"label\": \"y\", \"split\": \"test\", \"group\": \"p1\"}\n");
        var lines = DatasetLoader.Load(new DatasetSpec { Name = "m", Adapter = "manifest", Root = dir.Path, Manifest = dir["m.jsonl"] });
        Assert.Equal(["v/a.mp4", "v/c.mp4"], lines.Clips.Select(c => Path.GetRelativePath(dir.Path, c.Path)).Order());
        Assert.Equal("p1", lines.Clips.Single(c => c.Path.EndsWith("c.mp4")).Group);
        Assert.Contains(lines.Quarantined, q => q.Path == $"{dir["m.jsonl"]}:2" && q.Kind == QuarantineKind.BadEntry && q.Reason.StartsWith("not a JSON object"));
        Assert.Contains(lines.Quarantined, q => q.Reason.Contains("unknown split 'dev'") && q.Kind == QuarantineKind.BadEntry);
        Assert.Contains(lines.Quarantined, q => q.Path == $"{dir["m.jsonl"]}:4" && q.Reason.Contains("expected a JSON object"));

        File.WriteAllText(dir["m.json"], "[{\"path\": \"v/a.mp4\", \"label\": \"x\"},\n {\"path\": \"v/b.mp4\", \"label\": \"y\"},\n {\"path\": \"v/c.mp4\", \"label\": \"y\"}]");
        var array = DatasetLoader.Load(new DatasetSpec { Name = "m", Adapter = "manifest", Root = dir.Path, Manifest = dir["m.json"], TestFraction = 0, ValFraction = 0 });
        Assert.Equal(3, array.Clips.Count);
    }

    [Fact]
    public void SurgVisDomAtTheArchiveTopLevelReadsDomainsAndTestSnippets()
    {
        using var dir = new TempDir();
        for (int i = 0; i < 3; i++)
        {
            Video(dir[$"train/VR/Dissection/DS_{i}.mp4"]);
            Video(dir[$"train/VR/Knot_Tying/KT_{i}.mp4"]);
        }
        Video(dir["train/Porcine/needle driving/ND_0.mp4"]);
        Video(dir["test/snippet_labelled.mp4"]);
        Video(dir["test/snippet_unlabelled.mp4"]);
        Video(dir["test/snippet_minus.mp4"]);
        File.WriteAllText(dir["test/labels.csv"], "file,label\nsnippet_labelled.mp4,Knot_Tying\nsnippet_minus.mp4,-1\n");

        var data = DatasetLoader.Load(new DatasetSpec { Name = "svd", Adapter = "surgvisdom", Root = dir.Path, Seed = 1 });

        Assert.Equal(6, data.Clips.Count(c => c.Split is Splits.Train or Splits.Val));
        Assert.Equal(["knot-tying", "needle-driving"], data.Split(Splits.Test).Select(c => c.Label).Order());
        Assert.Contains(data.Quarantined, q => q.Path.EndsWith("snippet_unlabelled.mp4") && q.Kind == QuarantineKind.Unlabelled);
        Assert.Contains(data.Quarantined, q => q.Path.EndsWith("snippet_minus.mp4") && q.Reason == "unlabelled (label -1)");
        Assert.DoesNotContain(data.Quarantined, q => q.Reason.Contains("unknown label 'VR'"));
    }

    [Fact]
    public void OneFrameVideosLoadWithPaddingAndAreTooShortUnderReject()
    {
        using var dir = new TempDir();
        foreach (var cls in new[] { "a", "b" }) { Video(dir[$"{cls}/one.mp4"], frames: 1); Video(dir[$"{cls}/six.mp4"]); }
        Assert.Equal(1, VideoIO.Probe(dir["a/one.mp4"]).FrameCount);

        var spec = Folder(dir.Path) with { TestFraction = 0, ValFraction = 0 };
        var padded = DatasetLoader.Load(spec, new ClipSpec(4, 16, 16, Pad: PadPolicy.RepeatLast));
        Assert.Equal(4, padded.Clips.Count);
        var clip = VideoIO.Read(dir["a/one.mp4"], new ClipSpec(4, 16, 16, Pad: PadPolicy.RepeatLast));
        Assert.Equal(4, clip.Frames);

        var strict = DatasetLoader.Load(spec, new ClipSpec(4, 16, 16, Pad: PadPolicy.Reject));
        Assert.Equal(2, strict.Clips.Count);
        Assert.All(strict.Quarantined, q => Assert.Equal(QuarantineKind.Short, q.Kind));
        Assert.Contains("too short: 1 frames", strict.Quarantined[0].Reason);
    }

    [Fact]
    public void EmptyResultsEndValidateWithWarningsAndANonZeroExit()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["m"]);
        File.WriteAllText(dir["m/train.json"], """[{"video_id": "a", "label": "Non-medical"}]""");
        var medvid = DatasetLoader.Load(new DatasetSpec { Name = "medvidcl", Adapter = "medvidcl", Root = dir["m"], VideoDir = dir["m/nowhere"] });
        Assert.Contains(medvid.Warnings, w => w.Fatal && w.Text.Contains("nowhere does not exist"));

        Video(dir["v/a.mp4"]);
        File.WriteAllText(dir["list.csv"], "path,label\na.mp4,x\n");
        var manifest = DatasetLoader.Load(new DatasetSpec { Name = "m", Adapter = "manifest", Root = dir["no-root"], Manifest = dir["list.csv"] });
        Assert.Contains(manifest.Warnings, w => w.Fatal && w.Text.Contains("no-root does not exist"));
        Assert.Contains(manifest.Quarantined, q => q.Kind == QuarantineKind.Missing);

        Directory.CreateDirectory(dir["hk/labeled-videos/lower-gi-tract/x/polyps"]);
        Video(dir["hk/labeled-videos/lower-gi-tract/x/polyps/p.avi"]);
        var hk = DatasetLoader.Load(new DatasetSpec { Name = "hk", Adapter = "hyperkvasir", Root = dir["hk"] });
        Assert.Contains(hk.Warnings, w => !w.Fatal && w.Text.StartsWith("no metadata CSV"));

        // A folder dataset too small for val and test: validate says so and exits 1.
        foreach (var cls in new[] { "a", "b" }) Video(dir[$"small/{cls}/only.mp4"]);
        File.WriteAllText(dir["small.yaml"], "name: small\nadapter: folder\nroot: small\n");
        var (code, output) = RunCli("datasets", "validate", dir["small.yaml"], "--quarantine", dir["q.csv"], "--frames", "4");
        Assert.Equal(1, code);
        Assert.Contains("Warnings", output);
        Assert.Contains("split 'val' is empty", output);
        Assert.Contains("split 'test' is empty", output);
    }

    [Fact]
    public void ValidateAndStatsCountTheSameWindows()
    {
        using var dir = new TempDir();
        foreach (var cls in new[] { "a", "b" })
            for (int i = 0; i < 3; i++)
                Video(dir[$"train/{cls}/{i}.mp4"], frames: 40);
        foreach (var split in new[] { "val", "test" })
            foreach (var cls in new[] { "a", "b" })
                Video(dir[$"{split}/{cls}/0.mp4"], frames: 40);
        File.WriteAllText(dir["spec.yaml"], "name: w\nadapter: folder\nroot: .\nclips_per_video: 4\n");

        var (validateCode, validateOut) = RunCli("datasets", "validate", dir["spec.yaml"], "--quarantine", dir["q.csv"], "--frames", "8");
        var (statsCode, statsOut) = RunCli("datasets", "stats", dir["spec.yaml"], "--json", "--frames", "8");
        Assert.Equal((0, 0), (validateCode, statsCode));
        var clips = JsonDocument.Parse(statsOut).RootElement.GetProperty("clips").GetInt32();
        Assert.Equal(40, clips); // 10 videos × 4 windows of 10 frames
        Assert.True(validateOut.Contains($"{clips} clips usable"), validateOut);
    }

    [Fact]
    public void ACorruptFrameImageLateInAFolderIsCaughtByValidate()
    {
        using var dir = new TempDir();
        var frames = Fixtures.Ramp(6);
        Directory.CreateDirectory(dir["VR/Dissection/DS_1"]);
        for (int t = 0; t < 6; t++)
        {
            using var mat = OpenCvSharp.Mat.FromPixelData(16, 16, OpenCvSharp.MatType.CV_8UC3, frames.Pixels.AsSpan(t * 16 * 16 * 3, 16 * 16 * 3).ToArray());
            OpenCvSharp.Cv2.ImWrite(dir[$"VR/Dissection/DS_1/{t}.png"], mat);
        }
        File.WriteAllBytes(dir["VR/Dissection/DS_1/4.png"], [137, 80, 78, 71, 0, 0, 0]);
        Video(dir["VR/Knot_Tying/KT_1.mp4"]);

        var data = DatasetLoader.Load(new DatasetSpec { Name = "svd", Adapter = "surgvisdom", Root = dir.Path });

        var bad = Assert.Single(data.Quarantined);
        Assert.Equal(dir["VR/Dissection/DS_1"], bad.Path);
        Assert.Contains("frame image 4.png cannot be decoded", bad.Reason);
        Assert.Single(data.Clips);
    }

    [Fact]
    public void QuarantineKindsComeFromTheDecisionNotTheWording()
    {
        using var dir = new TempDir();
        Video(dir["unlabelled-stuff/a/clip.mp4"]);
        Video(dir["unlabelled-stuff/a/clip2.mp4"]);
        File.WriteAllText(dir["unlabelled-stuff/a/notes.txt"], "x");
        var data = DatasetLoader.Load(Folder(dir["unlabelled-stuff"]) with { TestFraction = 0, ValFraction = 0 });
        Assert.Equal(2, data.Clips.Count); // "unlabelled" in the path changes nothing
        Assert.Equal(QuarantineKind.NotVideo, Assert.Single(data.Quarantined).Kind);

        File.WriteAllText(dir["train.json"], """[{"video_link": "x", "label": "Non-medical"}, {"video_id": 12345, "label": "Non-medical"}]""");
        Video(dir["videos/12345.mp4"]);
        var medvid = DatasetLoader.Load(new DatasetSpec { Name = "medvidcl", Adapter = "medvidcl", Root = dir.Path });
        Assert.Equal("12345", Assert.Single(medvid.Clips).VideoId);
        Assert.Equal(QuarantineKind.BadEntry, Assert.Single(medvid.Quarantined, q => q.Reason == "entry has no video_id").Kind);
    }

    [Fact]
    public void MedVidClReportsThumbnailsOrphansConflictsAndOneBasedJsonLines()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["train.json"], """[{"video_id": "a", "label": "Non-medical"}, {"video_id": "thumb", "label": "Non-medical"}]""");
        File.WriteAllText(dir["val.json"], """[{"video_id": "a", "label": "Medical Instructional"}]""");
        Video(dir["videos/a.mp4"]);
        Video(dir["videos/orphan.mp4"]);
        File.WriteAllText(dir["videos/thumb.jpg"], "not a video");
        File.WriteAllText(dir["videos/thumb.description"], "text");

        var data = DatasetLoader.Load(new DatasetSpec { Name = "medvidcl", Adapter = "medvidcl", Root = dir.Path });

        Assert.Equal(["train/thumb"], data.Missing);
        Assert.Contains(data.Warnings, w => w.Text.Contains("thumb (thumb.description, thumb.jpg)"));
        Assert.Contains(data.Quarantined, q => q.Path == dir["videos/orphan.mp4"] && q.Kind == QuarantineKind.NotAnnotated);
        var conflict = Assert.Single(data.Quarantined, q => q.Kind == QuarantineKind.LabelConflict);
        Assert.Contains("'Medical Instructional' here, 'Non-medical' in train.json", conflict.Reason);

        File.WriteAllText(dir["test.json"], "[\n{\"video_id\": \"b\",\n \"label\": oops}\n]");
        var e = Assert.Throws<InvalidDataException>(() => DatasetLoader.Load(new DatasetSpec { Name = "medvidcl", Adapter = "medvidcl", Root = dir.Path }));
        Assert.StartsWith($"{dir["test.json"]}:3: not valid JSON", e.Message);
    }

    [Fact]
    public void UnknownKeepClassNamesFileAndLineAndAFolderDatasetUsesItsOwnClassList()
    {
        using var dir = new TempDir();
        foreach (var split in new[] { "train", "val", "test" })
            foreach (var cls in new[] { "dissection", "other" })
                Video(dir[$"data/{split}/{cls}/{split}.mp4"]);
        // Named like the bundled surgvisdom dataset, but with its own classes.yaml: its own list wins.
        File.WriteAllText(dir["data/classes.yaml"], "classes:\n  - name: other\n    prompt: other things\n  - name: dissection\n    prompt: our dissection\n");
        File.WriteAllText(dir["spec.yaml"], "name: surgvisdom\nadapter: folder\nroot: data\nkeep:\n  nosuch: 1\n");
        var spec = DatasetSpecYaml.Load(dir["spec.yaml"]);
        var e = Assert.Throws<DatasetSpecException>(() => DatasetLoader.Load(spec));
        Assert.StartsWith($"{dir["spec.yaml"]}:5: keep.nosuch:", e.Message);

        var data = DatasetLoader.Load(spec with { Keep = new Dictionary<string, int>() });
        Assert.Equal(["other", "dissection"], data.Classes);
        Assert.Equal("our dissection", data.Prompts["dissection"]);
    }

    static string WriteSpec(TempDir dir, string extra)
    {
        File.WriteAllText(dir["spec.yaml"], $"name: messy\nadapter: folder\nroot: .\nseed: 3\n{extra}\n");
        return dir["spec.yaml"];
    }
}

/// <summary>
/// Unreadable files and folders, for real: as root nothing is unreadable, so the CLI runs as 'nobody' (runuser); as
/// any other user it runs as that user. Either way the permissions are real and the reasons must say so.
/// </summary>
public class PermissionTests
{
    static (int Code, string Output) Augment(TempDir dir, params string[] args)
    {
        var augment = Path.Combine(AppContext.BaseDirectory, "augment.dll");
        string[] command = Environment.UserName == "root"
            ? ["runuser", "-u", "nobody", "--", "env", $"HOME={dir["out"]}", $"DOTNET_CLI_HOME={dir["out"]}", "dotnet", augment, .. args]
            : ["dotnet", augment, .. args];
        var run = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(command[0], command[1..])
            { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var stderr = run.StandardError.ReadToEndAsync();
        var output = run.StandardOutput.ReadToEnd() + stderr.Result;
        run.WaitForExit();
        return (run.ExitCode, output);
    }

    [Fact]
    public void AnUnreadableFileOrClassFolderIsQuarantinedAndTheRestIsUsed()
    {
        using var dir = new TempDir();
        File.SetUnixFileMode(dir.Path, (UnixFileMode)0b111_101_101);
        foreach (var split in new[] { "train", "val", "test" })
            foreach (var cls in new[] { "a", "b" })
                Fixtures.WriteVideo(dir[$"data/{split}/{cls}/0.mp4"]);
        Fixtures.WriteVideo(dir["data/train/locked/0.mp4"]);
        // Same size as b/0.mp4, so the duplicate check has to read it.
        File.Copy(dir["data/train/b/0.mp4"], dir["data/train/b/secret.mp4"]);
        File.SetUnixFileMode(dir["data/train/b/secret.mp4"], UnixFileMode.None);
        // A size of its own, so only probing meets it: OpenCV alone would call it corrupt.
        Fixtures.WriteVideo(dir["data/train/a/sealed.mp4"], frames: 11, size: 24);
        File.SetUnixFileMode(dir["data/train/a/sealed.mp4"], UnixFileMode.None);
        File.SetUnixFileMode(dir["data/train/locked"], UnixFileMode.None);
        // Readable but not executable: the names list, yet no file can be opened (it used to read as "file not found").
        Fixtures.WriteVideo(dir["data/train/noexec/0.mp4"]);
        File.SetUnixFileMode(dir["data/train/noexec"], (UnixFileMode)0b111_100_100);
        File.WriteAllText(dir["spec.yaml"], "name: p\nadapter: folder\nroot: data\n");
        Directory.CreateDirectory(dir["out"]);
        File.SetUnixFileMode(dir["out"], (UnixFileMode)0b111_111_111);
        Directory.CreateDirectory(dir["readonly"]);
        File.SetUnixFileMode(dir["readonly"], (UnixFileMode)0b111_101_101);
        if (Environment.UserName != "root") File.SetUnixFileMode(dir["readonly"], (UnixFileMode)0b101_101_101);

        var (code, output) = Augment(dir, "datasets", "validate", dir["spec.yaml"], "--quarantine", dir["out/q.csv"], "--frames", "4");
        Assert.True(code == 0, output);
        Assert.Contains("6 clips usable", output);
        var rows = File.ReadAllLines(dir["out/q.csv"]).Skip(1).Select(l => l.Split(',', 3)).Select(f => (f[0], f[1], f[2].Trim('"'))).ToList();
        Assert.Contains((QuarantineKind.PermissionDenied, dir["data/train/locked"], "permission denied: the folder cannot be listed"), rows);
        Assert.Contains((QuarantineKind.PermissionDenied, dir["data/train/b/secret.mp4"], "permission denied: the file cannot be read"), rows);
        Assert.Contains((QuarantineKind.PermissionDenied, dir["data/train/a/sealed.mp4"], "permission denied: the file cannot be read"), rows);
        Assert.Contains((QuarantineKind.PermissionDenied, dir["data/train/noexec"],
            "permission denied: the folder can be listed but not entered (no execute permission), so nothing in it can be read"), rows);
        Assert.Equal(4, rows.Count);

        // A quarantine list it may not write: one line naming the file, no stack trace, and the counts still shown.
        var (refused, why) = Augment(dir, "datasets", "validate", dir["spec.yaml"], "--quarantine", dir["readonly/q.csv"], "--frames", "4");
        Assert.True(refused == 2, why);
        Assert.Contains($"datasets validate: {dir["readonly/q.csv"]}: cannot write: permission denied", why);
        Assert.Contains("6 clips usable", why);
        Assert.DoesNotContain("   at ", why);
    }
}
