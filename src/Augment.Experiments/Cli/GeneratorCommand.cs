using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class GeneratorCommand
{
    public static Command Create() => new("generator", "not built yet");
}
