using Augment.Data.Datasets;
using Augment.Cli.Commands;

namespace Augment.Tests.Experiments.Cli;

public class KeepOptionTests
{
    static readonly DatasetSpec Spec = new()
    {
        Name = "demo", Adapter = "folder", Root = "/data",
        Keep = new Dictionary<string, int> { ["polyp"] = 6, ["ulcer"] = 4 },
    };

    [Fact]
    public void CommandLineEntriesOverrideAndExtendTheSpecsKeep()
    {
        var spec = KeepOption.Apply(Spec, ["polyp=2", "dyed lifted polyp=0"]);
        Assert.Equal(2, spec.Keep["polyp"]);
        Assert.Equal(4, spec.Keep["ulcer"]);
        Assert.Equal(0, spec.Keep["dyed lifted polyp"]);
        Assert.Equal(6, Spec.Keep["polyp"]); // the loaded spec is not mutated
    }

    [Theory]
    [InlineData("polyp")]
    [InlineData("polyp=")]
    [InlineData("=3")]
    [InlineData("polyp=-1")]
    [InlineData("polyp=two")]
    public void MalformedEntriesAreRefusedWithTheEntryInTheMessage(string entry)
    {
        var e = Assert.Throws<ArgumentException>(() => KeepOption.Apply(Spec, [entry]));
        Assert.Contains(entry, e.Message);
    }
}
