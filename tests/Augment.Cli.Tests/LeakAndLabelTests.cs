using System.CommandLine;
using Augment.Cli.Commands;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Experiments.Config;

namespace Augment.Tests.Data;

/// <summary>Data that would leak between splits or train under a wrong label: each case built on disk, its outcome
/// asserted, and the rest of the data still used.</summary>
[Collection("Console")] // some cases run `augment datasets validate` and read Console.Out
public class LeakAndLabelTests
{
    static string Video(string path, int frames = 6) => Fixtures.WriteVideo(path, frames, size: 16);

    static (int Code, string Out) RunCli(params string[] args)
    {
        var root = new RootCommand("augment");
        root.Subcommands.Add(DatasetsCommand.Create());
        return CliCapture.Run(() => root.Parse(args).Invoke());
    }

    [Fact]
    public void RowsOfOneVideoFollowTheSplitAnyOfThemNamesAndConflictingRowsAreSetAside()
    {
        using var dir = new TempDir();
        var rows = new List<string> { "path,label,split,video_id,group" };
        string[] named = [Splits.Train, Splits.Train, Splits.Val, Splits.Test, Splits.Train, Splits.Val, Splits.Test, Splits.Train];
        for (int v = 0; v < named.Length; v++)
        {
            var label = v % 2 == 0 ? "a" : "b";
            // Only the first row of each source video names its split; the seeded split would scatter the others.
            for (int c = 0; c < 3; c++)
                rows.Add($"{Path.GetFileName(Video(dir[$"v/s{v}_c{c}.mp4"]))},{label},{(c == 0 ? named[v] : "")},src{v},");
        }
        // A patient whose named video is in test: the patient's unnamed video follows it.
        rows.Add($"{Path.GetFileName(Video(dir["v/p9_a.mp4"]))},a,test,p9a,p9");
        rows.Add($"{Path.GetFileName(Video(dir["v/p9_b.mp4"]))},b,,p9b,p9");
        // One source video put in train by one row and in test by another: an error, the whole video set aside.
        rows.Add($"{Path.GetFileName(Video(dir["v/bad_0.mp4"]))},a,train,bad,");
        rows.Add($"{Path.GetFileName(Video(dir["v/bad_1.mp4"]))},a,,bad,");
        rows.Add($"{Path.GetFileName(Video(dir["v/bad_2.mp4"]))},a,test,bad,");
        File.WriteAllText(dir["m.csv"], string.Join("\n", rows) + "\n");
        var spec = new DatasetSpec { Name = "m", Adapter = "manifest", Root = dir["v"], Manifest = dir["m.csv"], Seed = 5 };

        var data = DatasetLoader.Load(spec);

        Assert.Equal(named.Length * 3 + 2, data.Clips.Count); // everything but the conflicting video is used
        for (int v = 0; v < named.Length; v++)
            Assert.Equal([named[v]], data.Clips.Where(c => c.VideoId == $"src{v}").Select(c => c.Split).Distinct());
        Assert.Equal([Splits.Test], data.Clips.Where(c => c.Group == "p9").Select(c => c.Split).Distinct());
        var conflict = data.Quarantined.Where(q => q.Kind == QuarantineKind.SplitConflict).ToList();
        Assert.Equal(3, conflict.Count);
        Assert.All(conflict, q => Assert.Contains($"video_id 'bad' is put in different splits by its rows (train at {dir["m.csv"]}:28, test at {dir["m.csv"]}:30)", q.Reason));
        Assert.Contains(conflict, q => q.Reason.EndsWith($"({dir["m.csv"]}:29)"));
        Assert.Contains(data.Warnings, w => w.Fatal && w.Text.StartsWith("1 video(s) have rows naming different splits (e.g. 'bad' in test and train)"));
        Assert.Contains(data.Warnings, w => !w.Fatal && w.Text.StartsWith($"{named.Length * 2 + 1} row(s) without a split took the split"));

        File.WriteAllText(dir["spec.yaml"], "name: m\nadapter: manifest\nroot: v\nmanifest: m.csv\nseed: 5\n");
        var (code, output) = RunCli("datasets", "validate", dir["spec.yaml"], "--quarantine", dir["q.csv"], "--frames", "4");
        Assert.Equal(1, code);
        Assert.True(output.Contains("✗ 1 video(s) have rows naming different splits"), output);
    }

    [Fact]
    public void ASymlinkIntoAnotherClassNeverRelabelsAndTheRealLocationWins()
    {
        using var dir = new TempDir();
        Video(dir["alpha/a1.mp4"]);
        Video(dir["alpha/a2.mp4"]);
        Video(dir["beta/p6/v1.mp4"]);
        Video(dir["beta/p6/v2.mp4"]);
        Video(dir["beta/v1.mp4"]);
        Video(dir["beta/q7/v3.mp4"]);
        // alpha sorts first, so these links are met before the folder and the file they point at.
        Directory.CreateSymbolicLink(dir["alpha/p6b"], "../beta/p6");
        File.CreateSymbolicLink(dir["alpha/x.mp4"], "../beta/v1.mp4");
        Directory.CreateSymbolicLink(dir["alpha/zz"], "../beta/p6");
        // And a link met after its target, inside the same class.
        Directory.CreateSymbolicLink(dir["beta/same"], "q7");

        var data = DatasetLoader.Load(new DatasetSpec { Name = "links", Adapter = "folder", Root = dir.Path, TestFraction = 0, ValFraction = 0 });

        Assert.Equal(["alpha/a1.mp4", "alpha/a2.mp4", "beta/p6/v1.mp4", "beta/p6/v2.mp4", "beta/q7/v3.mp4", "beta/v1.mp4"],
            data.Clips.Select(c => Path.GetRelativePath(dir.Path, c.Path)).Order(StringComparer.Ordinal));
        Assert.All(data.Clips, c => Assert.Equal(Path.GetRelativePath(dir.Path, c.Path).Split('/')[0], c.Label));
        var conflicts = data.Quarantined.Where(q => q.Kind == QuarantineKind.LabelConflict).ToList();
        Assert.Equal([dir["alpha/p6b/v1.mp4"], dir["alpha/p6b/v2.mp4"], dir["alpha/x.mp4"]], conflicts.Select(q => q.Path).Order(StringComparer.Ordinal));
        Assert.Contains(conflicts, q => q.Reason == $"symlink to {dir["beta/v1.mp4"]}: labelled 'alpha' through the link but 'beta' at its real location, whose label is used");
        var same = Assert.Single(data.Quarantined, q => q.Path == dir["beta/same/v3.mp4"]);
        Assert.Equal((QuarantineKind.Duplicate, $"symlink to {dir["beta/q7/v3.mp4"]}, which is read at its real location"), (same.Kind, same.Reason));
        var twice = Assert.Single(data.Quarantined, q => q.Path == dir["alpha/zz"]);
        Assert.StartsWith("symlink to a folder already read through another link", twice.Reason);
        Assert.Equal(5, data.Quarantined.Count); // the real folders are never set aside as "already read"
    }

    [Fact]
    public void AHyperKvasirNameInTwoClassFoldersIsALabelConflictThatLabelSourceSettles()
    {
        using var dir = new TempDir();
        string Leaf(string cls) => $"labeled-videos/lower-gi-tract/pathological-findings/{cls}";
        Video(dir[$"{Leaf("polyps")}/clash.avi"]);
        Video(dir[$"{Leaf("ulcerative-colitis-grade-0-1")}/clash.avi"]);
        Video(dir[$"{Leaf("polyps")}/orphan.avi"]);
        Video(dir[$"{Leaf("ulcerative-colitis-grade-0-1")}/orphan.avi"]);
        Video(dir[$"{Leaf("polyps")}/ok.avi"]);
        Video(dir[$"{Leaf("ulcerative-colitis-grade-0-1")}/uc.avi"]);
        File.WriteAllText(dir["labeled-videos/meta.csv"], "file-name;finding\nclash.avi;polyp\nok.avi;polyp\n");
        // A folder link named like another class: its files keep the label of their real folder.
        Directory.CreateSymbolicLink(dir[Leaf("ulcerative-colitis-grade-2")], "polyps");
        var spec = new DatasetSpec { Name = "hk", Adapter = "hyperkvasir", Root = dir["labeled-videos"], TestFraction = 0, ValFraction = 0 };

        foreach (var source in new[] { "folder", "csv" })
        {
            var data = DatasetLoader.Load(spec with { LabelSource = source });

            // The CSV names polyp, so the copy in the polyp folder is used (as the tie-break for folder, as the source for csv).
            Assert.Equal(dir[$"{Leaf("polyps")}/clash.avi"], Assert.Single(data.Clips, c => c.Path.EndsWith("clash.avi")).Path);
            Assert.Equal("polyp", data.Clips.Single(c => c.Path.EndsWith("clash.avi")).Label);
            var other = Assert.Single(data.Quarantined, q => q.Path == dir[$"{Leaf("ulcerative-colitis-grade-0-1")}/clash.avi"]);
            Assert.Equal(QuarantineKind.LabelConflict, other.Kind);
            Assert.Contains("polyps → polyp, ulcerative-colitis-grade-0-1 → inflammation", other.Reason);
            // Nothing settles orphan.avi: neither copy trains.
            Assert.DoesNotContain(data.Clips, c => c.Path.EndsWith("orphan.avi"));
            Assert.Equal(2, data.Quarantined.Count(q => q.Path.EndsWith("orphan.avi") && q.Kind == QuarantineKind.LabelConflict && q.Reason.Contains("does not name it")));
            Assert.Contains(data.Warnings, w => w.Text.StartsWith($"2 file name(s) are in class folders of different classes (label_source: {source})"));
            Assert.Equal(["clash.avi", "ok.avi", "uc.avi"], data.Clips.Select(c => Path.GetFileName(c.Path)).Order());
            Assert.All(data.Clips.Where(c => c.Path.Contains("/polyps/")), c => Assert.Equal("polyp", c.Label));
            var linked = data.Quarantined.Where(q => q.Path.StartsWith(dir[Leaf("ulcerative-colitis-grade-2")])).ToList();
            Assert.Equal(3, linked.Count);
            Assert.All(linked, q => Assert.Equal(QuarantineKind.LabelConflict, q.Kind));
            Assert.All(linked, q => Assert.EndsWith("labelled 'inflammation' through the link but 'polyp' at its real location, whose label is used", q.Reason));
        }
    }

    [Fact]
    public void ClassFoldersThatDifferOnlyInCaseOrSpacesAreMergedWithAWarning()
    {
        using var dir = new TempDir();
        Video(dir["Polyp/a.mp4"]);
        Video(dir["polyp/b.mp4"]);
        Video(dir["polyp/c.mp4"]);
        Video(dir["polyp /d.mp4"]);
        Video(dir["normal/e.mp4"]);
        Video(dir["normal/f.mp4"]);
        var spec = new DatasetSpec { Name = "case", Adapter = "folder", Root = dir.Path, TestFraction = 0, ValFraction = 0 };

        var data = DatasetLoader.Load(spec);

        Assert.Equal(["normal", "polyp"], data.Classes);
        Assert.Equal(4, data.Clips.Count(c => c.Label == "polyp"));
        Assert.Equal(6, data.Clips.Count);
        var warning = Assert.Single(data.Warnings, w => w.Text.Contains("differ only in case or spacing"));
        Assert.Equal("class names 'polyp' (2 videos), 'Polyp' (1 videos), 'polyp ' (1 videos) differ only in case or spacing: merged as 'polyp'", warning.Text);
        Assert.False(warning.Fatal);

        // A prompts file that spells the class its own way names the merged class.
        File.WriteAllText(dir["prompts.yaml"], "classes:\n  - name: Polyp\n    prompt: a polyp\n  - name: normal\n    prompt: normal mucosa\n");
        var named = DatasetLoader.Load(spec with { Prompts = dir["prompts.yaml"] });
        Assert.Equal(["Polyp", "normal"], named.Classes);
        Assert.Equal(4, named.Clips.Count(c => c.Label == "Polyp"));
        Assert.Empty(named.Quarantined);
    }

    [Fact]
    public void GroupByAndLabelSourceInExperimentsYamlGroupFlatFilesByPatient()
    {
        using var dir = new TempDir();
        foreach (var cls in new[] { "a", "b" })
            for (int p = 0; p < 6; p++)
                for (int c = 0; c < 2; c++)
                    Video(dir[$"data/{cls}/p{p:00}_clip{c}.mp4"]);
        var config = ExperimentConfigLoader.Parse(
            "ratios: [0]\ndatasets:\n  flat:\n    adapter: folder\n    root: data\n    group_by: '^(p\\d+)_'\n    label_source: csv\n    seed: 4\n",
            dir["experiments.yaml"]);
        var spec = Assert.Single(config.Datasets).ToSpec(config.SourcePath);
        Assert.Equal("csv", spec.LabelSource);

        var data = DatasetLoader.Load(spec);

        Assert.Equal(24, data.Clips.Count);
        Assert.Equal(6, data.Clips.Select(c => c.Group).Distinct().Count());
        Assert.All(data.Clips.GroupBy(c => c.Group), g => Assert.Single(g.Select(c => c.Split).Distinct()));
    }
}
