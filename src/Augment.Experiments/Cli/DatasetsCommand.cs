using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class DatasetsCommand
{
    public static Command Create() => new("datasets", "not built yet");
}
