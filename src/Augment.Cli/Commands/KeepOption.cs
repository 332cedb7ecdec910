using System.CommandLine;
using Augment.Data.Datasets;

namespace Augment.Cli.Commands;

/// <summary>--keep CLASS=N: the scarcity simulation from the command line, on top of a spec's own keep: entries.</summary>
public static class KeepOption
{
    public static Option<string[]> Create() => new("--keep")
    {
        Description = "Scarcity simulation: keep only N training clips of CLASS (seeded); repeat per class, e.g. --keep polyp=6. Overrides the spec's keep: entries.",
    };

    public static DatasetSpec Apply(DatasetSpec spec, IReadOnlyList<string>? entries)
    {
        if (entries is null || entries.Count == 0) return spec;
        var keep = new Dictionary<string, int>(spec.Keep);
        foreach (var entry in entries)
        {
            int eq = entry.LastIndexOf('=');
            if (eq <= 0 || !int.TryParse(entry[(eq + 1)..], out int n) || n < 0)
                throw new ArgumentException($"--keep {entry}: expected CLASS=N with N a whole number ≥ 0");
            keep[entry[..eq].Trim()] = n;
        }
        return spec with { Keep = keep };
    }
}
