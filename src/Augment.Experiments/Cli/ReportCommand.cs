using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class ReportCommand
{
    public static Command Create() => new("report", "not built yet");
}
