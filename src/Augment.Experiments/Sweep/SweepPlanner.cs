using System.Globalization;
using Augment.Data;
using Augment.Experiments.Backends;
using Augment.Experiments.Config;

namespace Augment.Experiments.Sweep;

/// <summary>One classifier training run of the grid. Generator null: the real-only baseline (ratio 0).</summary>
public sealed record CellPlan(string Key, string Dataset, string? Generator, double Ratio, long Seed, string Dir)
{
    public bool IsRealOnly => Generator is null;
    /// <summary>Its name among the sweep's stages (decisions, claims, status).</summary>
    public string Stage => $"cell {Key}";
}

/// <summary>
/// One generation run: enough clips for the largest ratio; every smaller ratio mixes a prefix of them. Its clips are then
/// gated as a stage of their own, in <see cref="GatingDir"/>, so other gate thresholds reuse the clips.
/// </summary>
public sealed record GenerationPlan(string Dataset, string Generator, long Seed, double MaxRatio, string Dir)
{
    /// <summary>Its name among the sweep's stages (decisions, claims, status).</summary>
    public string Stage => $"generation {Dataset}/{Generator}/s{Seed}";
    public string GatingStage => $"gating {Dataset}/{Generator}/s{Seed}";
    /// <summary>The gate's manifest, thresholds, contact sheets and the generation-quality measurement.</summary>
    public string GatingDir => Path.Combine(Dir, GatingFolder);
    public const string GatingFolder = "gated";
}

/// <summary>Everything a sweep will do, in the order it does it.</summary>
public sealed record SweepPlan(
    ExperimentConfig Config,
    IReadOnlyList<CellPlan> Cells,
    IReadOnlyList<GenerationPlan> Generations,
    bool NeedsBaseGenerator,
    IReadOnlyList<string> AdaptedDatasets,
    string SweepKey)
{
    /// <summary>Each distinct set of corpora a native generator adapts on (adapt_on): one adapter each, for every dataset.</summary>
    public IReadOnlyList<IReadOnlyList<string>> AdaptedCorpora { get; init; } = [];
    /// <summary>The stages backends add before their generations (a wan generator's LoRA trained in the sweep, one per dataset).</summary>
    public IReadOnlyList<BackendStage> BackendStages { get; init; } = [];
    public string ReportDir => Path.Combine(Config.OutputDir, "report");
}

/// <summary>
/// Expands datasets × generators × ratios × seeds into cells. Ratio 0 is real-only: one cell per dataset × seed,
/// shared by every generator (never trained twice). Each (dataset, generator, seed) is generated once.
/// </summary>
public static class SweepPlanner
{
    public static SweepPlan Plan(ExperimentConfig config)
    {
        var cells = new List<CellPlan>();
        var generations = new List<GenerationPlan>();
        var cellsDir = Path.Combine(config.OutputDir, "cells");
        var synthetic = config.SyntheticGenerators.ToList();
        var positiveRatios = config.Ratios.Where(r => r > 0).ToList();
        bool baseline = config.Ratios.Contains(0) || config.Generators.Any(g => g.Backend == GeneratorBackend.None);

        foreach (var ds in config.Datasets)
        {
            if (baseline)
                foreach (var seed in config.Seeds)
                    cells.Add(Cell(cellsDir, ds.Name, null, 0, seed));
            if (positiveRatios.Count == 0) continue;
            // The upper bound exists only where `keep` held real clips out.
            foreach (var gen in synthetic.Where(g => !g.Backend.NeedsHeldOutClips || ds.UsesKeep))
                foreach (var seed in config.Seeds)
                {
                    generations.Add(new GenerationPlan(ds.Name, gen.Name, seed, positiveRatios[^1],
                        GenerationDir(config.OutputDir, ds.Name, gen.Name, seed)));
                    foreach (var ratio in positiveRatios)
                        cells.Add(Cell(cellsDir, ds.Name, gen.Name, ratio, seed));
                }
        }

        var natives = positiveRatios.Count == 0 ? [] : synthetic.Where(g => g.Backend == GeneratorBackend.Native).ToList();
        return new SweepPlan(config, cells, generations,
            NeedsBaseGenerator: natives.Count > 0,
            AdaptedDatasets: natives.Any(g => g.Adapt) ? config.Datasets.Select(d => d.Name).ToList() : [],
            SweepKey: ShortHash(config.OutputDir))
        {
            AdaptedCorpora = natives.Where(g => g.AdaptOn.Count > 0).GroupBy(g => SweepStages.CorpusKey(g.AdaptOn)).Select(g => g.First().AdaptOn).ToList(),
            BackendStages = generations.Select(g => (Entry: config.Generators.First(e => e.Name == g.Generator), g.Dataset)).Distinct()
                .SelectMany(x => x.Entry.Backend.OwnStages(x.Entry, x.Dataset, config)).DistinctBy(s => s.Name).ToList(),
        };
    }

    /// <summary>Where a generation run keeps its clips, manifest and records (the report finds them here too).</summary>
    public static string GenerationDir(string outputDir, string dataset, string generator, long seed) =>
        Path.Combine(outputDir, "generations", dataset, generator, $"s{seed}");

    public static string RatioText(double ratio) => ratio.ToString("0.###", CultureInfo.InvariantCulture);

    static CellPlan Cell(string cellsDir, string dataset, string? generator, double ratio, long seed)
    {
        var gen = generator ?? "real";
        var key = $"{dataset}/{gen}/r{RatioText(ratio)}/s{seed}";
        return new CellPlan(key, dataset, generator, ratio, seed, Path.Combine(cellsDir, dataset, gen, $"r{RatioText(ratio)}", $"s{seed}"));
    }

    /// <summary>12 hex digits of SHA-256: stable names for sweeps and checkpoints keyed by their settings.</summary>
    public static string ShortHash(string text) =>
        FileHash.OfText(text)[..12];
}
