using System.CommandLine;

namespace Augment.Experiments.Cli;

// Placeholder until its issue lands; replace wholesale.
public static class TrainCommand
{
    public static Command Create() => new("train", "not built yet");
}
