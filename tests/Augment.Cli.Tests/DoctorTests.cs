using System.CommandLine;
using Augment.Cli.Commands;
using Augment.Cli.Doctor;

namespace Augment.Tests.Numerics;

[Collection("Console")] // redirects Console.Out
public class DoctorTests
{
    [Fact]
    public void DoctorReportsAHealthyMachineAndItsStressCounts()
    {
        var root = new RootCommand("augment");
        root.Subcommands.Add(DoctorCommand.Create());
        var (code, output) = CliCapture.Run(() => root.Parse(["doctor", "--output", Path.GetTempPath(), "--stress", "3"]).Invoke());

        Assert.True(code == 0, output);
        foreach (var row in new[] { "oneDNN ISA cap", "numerics self-check", "decode mp4v", "decode h264", "free disk", "non-finite steps" })
            Assert.Contains(row, output);
    }
}
