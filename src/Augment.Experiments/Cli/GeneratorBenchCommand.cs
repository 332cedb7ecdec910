using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class GeneratorBenchCommand
{
    public static Command Create() => new("generator", "not built yet");
}
