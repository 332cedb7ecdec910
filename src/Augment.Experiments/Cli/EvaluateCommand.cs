using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class EvaluateCommand
{
    public static Command Create() => new("evaluate", "not built yet");
}
