using System.CommandLine;

namespace Augment.Cli.Bench;

public static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Measure throughput and model-FLOPs utilisation; prints a table.");
        bench.Subcommands.Add(ClassifierBenchCommand.Create());
        bench.Subcommands.Add(GeneratorBenchCommand.Create());
        bench.Subcommands.Add(WanBenchCommand.Create());
        bench.Subcommands.Add(WanVaeMemoryBenchCommand.Create());
        bench.Subcommands.Add(ScalarRaceBenchCommand.Create());
        return bench;
    }
}
