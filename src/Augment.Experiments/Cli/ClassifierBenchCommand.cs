using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class ClassifierBenchCommand
{
    public static Command Create() => new("classifier", "not built yet");
}
