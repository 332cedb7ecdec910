using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class SweepCommand
{
    public static Command Create() => new("sweep", "not built yet");
}
