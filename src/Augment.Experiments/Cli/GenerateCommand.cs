using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class GenerateCommand
{
    public static Command Create() => new("generate", "not built yet");
}
