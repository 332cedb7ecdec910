using System.Reflection;
using Augment.Cli.Bench;
using Augment.Classifier;
using Augment.Evaluation.Quality;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Report;
using Augment.Synthetic;

namespace Augment.Tests.Experiments;

/// <summary>A stage's fingerprint changes with the code that computes it, and with no other code.</summary>
public class CodeFingerprintTests
{
    /// <summary>The stage kind's code hash as it would be after an edit to <paramref name="edited"/>'s sources.</summary>
    static string AfterEditing(StageKind kind, Assembly edited) =>
        CodeVersion.Hash(CodeVersion.AssembliesOf(kind), a => a == edited ? "edited " + CodeVersion.Stamp(a) : CodeVersion.Stamp(a));

    static readonly Assembly QualityMetric = typeof(FrechetDistance).Assembly, Benchmark = typeof(ClassifierBenchmark).Assembly,
        Report = typeof(ReportWriter).Assembly, Trainer = typeof(ClassifierTrainer).Assembly, Gate = typeof(GateRun).Assembly,
        Engine = typeof(GeneratorConfig).Assembly;

    [Fact]
    public void EditingAQualityMetricABenchmarkOrTheReportRerunsNoClassifierCellAndNoGeneratorStage()
    {
        foreach (var kind in Enum.GetValues<StageKind>())
            foreach (var edited in new[] { QualityMetric, Benchmark, Report })
                Assert.Equal(CodeVersion.Of(kind), AfterEditing(kind, edited));
        // A quality metric's edit does remeasure the generations' quality.
        Assert.Contains(QualityMetric, CodeVersion.QualityAssemblies);
    }

    [Fact]
    public void EachStageRerunsWhenItsOwnCodeChanges()
    {
        Assert.NotEqual(CodeVersion.Of(StageKind.Cell), AfterEditing(StageKind.Cell, Trainer));
        Assert.NotEqual(CodeVersion.Of(StageKind.Cell), AfterEditing(StageKind.Cell, Gate)); // the mixer lives with the gate
        Assert.NotEqual(CodeVersion.Of(StageKind.Gating), AfterEditing(StageKind.Gating, Gate));
        Assert.NotEqual(CodeVersion.Of(StageKind.Generation), AfterEditing(StageKind.Generation, Engine));
        // Generation does not run the gate or the classifier: re-gating or retraining keeps the clips.
        Assert.Equal(CodeVersion.Of(StageKind.Generation), AfterEditing(StageKind.Generation, Gate));
        Assert.Equal(CodeVersion.Of(StageKind.Generation), AfterEditing(StageKind.Generation, Trainer));
        Assert.Equal(CodeVersion.Of(StageKind.Gating), AfterEditing(StageKind.Gating, Engine));
    }
}
