using System.CommandLine;
using Augment.Experiments.Cli;

var root = new RootCommand("Augment: synthetic medical video to fight scarce classes (MedGen-style augmentation sweeps).");
root.Subcommands.Add(DatasetsCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvaluateCommand.Create());
root.Subcommands.Add(GeneratorCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(SweepCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return root.Parse(args).Invoke();
