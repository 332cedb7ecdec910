using Augment.Experiments.Config;
using Augment.Experiments.Sweep;

namespace Augment.Tests.Experiments;

public class PlannerTests
{
    static SweepPlan Plan(string ratios, string seeds, string generators) => SweepPlanner.Plan(ExperimentConfigLoader.Parse($"""
        output_dir: /tmp/plan-out
        seeds: {seeds}
        ratios: {ratios}
        datasets:
          a: {"{adapter: demo}"}
          b: {"{adapter: folder, root: /data/b}"}
        generators:
        {generators}
        """, "/tmp/experiments.yaml"));

    const string ThreeGenerators = """
          real: {backend: none}
          hunyuanvideo: {backend: native}
          medgen: {backend: native, adapt: true}
        """;

    [Fact]
    public void GridSharesTheRealOnlyCellAcrossGenerators()
    {
        var plan = Plan("[0, 0.5, 1, 2]", "[0, 1, 2]", ThreeGenerators);
        // per dataset: 3 seeds real-only + 2 generators × 3 positive ratios × 3 seeds
        Assert.Equal(2 * (3 + 2 * 3 * 3), plan.Cells.Count);
        Assert.Equal(plan.Cells.Count, plan.Cells.Select(c => c.Key).Distinct().Count());
        Assert.Equal(plan.Cells.Count, plan.Cells.Select(c => c.Dir).Distinct().Count());
        Assert.Equal(6, plan.Cells.Count(c => c.IsRealOnly));
        Assert.All(plan.Cells.Where(c => c.IsRealOnly), c => Assert.Equal(0, c.Ratio));
        Assert.DoesNotContain(plan.Cells, c => !c.IsRealOnly && c.Ratio == 0);
    }

    [Fact]
    public void GenerationIsPlannedOncePerDatasetGeneratorSeedAtTheLargestRatio()
    {
        var plan = Plan("[0, 0.5, 1, 2]", "[0, 1, 2]", ThreeGenerators);
        Assert.Equal(2 * 2 * 3, plan.Generations.Count);
        Assert.All(plan.Generations, g => Assert.Equal(2, g.MaxRatio));
        Assert.Equal(plan.Generations.Count, plan.Generations.Select(g => (g.Dataset, g.Generator, g.Seed)).Distinct().Count());
        Assert.True(plan.NeedsBaseGenerator);
        Assert.Equal(["a", "b"], plan.AdaptedDatasets);
    }

    [Fact]
    public void RealOnlySweepNeedsNoGenerator()
    {
        var plan = Plan("[0]", "[0, 1]", "  real: {backend: none}");
        Assert.Equal(4, plan.Cells.Count);
        Assert.Empty(plan.Generations);
        Assert.False(plan.NeedsBaseGenerator);
        Assert.Empty(plan.AdaptedDatasets);
    }

    [Fact]
    public void BaseOnlyGeneratorAdaptsNothingAndSweepKeyIsStable()
    {
        var plan = Plan("[1]", "[0]", "  hunyuanvideo: {backend: native}");
        Assert.True(plan.NeedsBaseGenerator);
        Assert.Empty(plan.AdaptedDatasets);
        Assert.Equal(plan.SweepKey, Plan("[0, 1]", "[0, 5]", ThreeGenerators).SweepKey);
        // No ratio 0 and no `none` generator: no baseline cells.
        Assert.DoesNotContain(plan.Cells, c => c.IsRealOnly);
    }
}
