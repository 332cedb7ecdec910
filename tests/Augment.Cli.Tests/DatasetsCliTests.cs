using System.CommandLine;
using System.Text.Json;
using Augment.Data.Datasets;
using Augment.Cli.Commands;

namespace Augment.Tests.Data;

/// <summary>The `augment datasets` verbs end to end, through the real command tree.</summary>
[Collection("Console")] // these tests redirect Console.Out
public class DatasetsCliTests
{
    static (int Code, string Out) Run(params string[] args)
    {
        var root = new RootCommand("augment");
        root.Subcommands.Add(DatasetsCommand.Create());
        var previous = Console.Out;
        var writer = new StringWriter();
        Console.SetOut(writer);
        try { return (root.Parse(args).Invoke(), writer.ToString()); }
        finally { Console.SetOut(previous); }
    }

    [Fact]
    public void ValidateListsBadFilesAndExitsZeroButRefusesABadSpec()
    {
        using var dir = new TempDir();
        DemoDataset.Render(dir["demo"], 1, new DemoOptions
        {
            Classes = 2, Frames = 4, Size = 20, TrainPerClass = 3, ScarceTrainPerClass = 1, ScarceClasses = 1, ValPerClass = 1, TestPerClass = 1,
        });
        File.WriteAllBytes(dir["demo/train/synthetic-normal-mucosa/broken.mp4"], [1, 2, 3]);

        var (code, _) = Run("datasets", "validate", dir["demo/dataset.yaml"], "--quarantine", dir["q/quarantine.csv"]);
        Assert.Equal(0, code);
        var csv = File.ReadAllLines(dir["q/quarantine.csv"]);
        Assert.Equal("kind,path,reason", csv[0]);
        Assert.Contains(csv, l => l.StartsWith("unreadable,") && l.Contains("broken.mp4"));
        using var json = JsonDocument.Parse(File.ReadAllText(dir["q/quarantine.json"]));
        Assert.Equal(1, json.RootElement.GetProperty("rows").GetArrayLength());

        var (stats, output) = Run("datasets", "stats", dir["demo/dataset.yaml"], "--json");
        Assert.Equal(0, stats);
        using var s = JsonDocument.Parse(output);
        Assert.Equal(2 * 3 - 2 + 2 + 2, s.RootElement.GetProperty("clips").GetInt32()); // scarce class keeps 1 of 3 training clips
        Assert.Equal(4, s.RootElement.GetProperty("frames").GetProperty("median").GetDouble());

        File.WriteAllText(dir["bad.yaml"], "name: x\nadapter: folder\nroot: ./nowhere\n");
        Assert.NotEqual(0, Run("datasets", "validate", dir["bad.yaml"], "--quarantine", dir["q2.csv"]).Code);
        File.WriteAllText(dir["bad2.yaml"], "name: x\nadaptor: folder\n");
        Assert.NotEqual(0, Run("datasets", "stats", dir["bad2.yaml"]).Code);
        Assert.NotEqual(0, Run("datasets", "validate", dir["missing.yaml"]).Code);
    }

    [Theory]
    [InlineData("datasets")]
    [InlineData("datasets", "demo")]
    [InlineData("datasets", "validate")]
    [InlineData("datasets", "stats")]
    public void EveryVerbHasHelp(params string[] verb)
    {
        var (code, output) = Run([.. verb, "--help"]);
        Assert.Equal(0, code);
        Assert.Contains("Usage:", output);
        Assert.Contains("Description:", output);
    }
}
