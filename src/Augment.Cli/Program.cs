using System.CommandLine;
using Augment.Data.Numerics;
using Augment.Cli.Commands;
using Augment.Cli.Doctor;
using Augment.Cli.Bench;

// Before anything touches libtorch: oneDNN reads its ISA cap when it creates its first kernel.
try
{
    ComputePath.ConfigureIsa();
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}

var root = new RootCommand("Augment: synthetic medical video to fight scarce classes (MedGen-style augmentation sweeps).");
root.Subcommands.Add(DatasetsCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(GeneratorCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(SweepCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(DoctorCommand.Create());
return root.Parse(args).Invoke();
