using Augment.Experiments.Config;
using Augment.Experiments.Sweep;

namespace Augment.Tests.Experiments;

/// <summary>adapt_on: one LoRA adapter trained on captioned corpora, shared by every dataset, beside few-shot adaptation.</summary>
public class CorpusAdaptationTests
{
    const string Generators = """
          real: {backend: none}
          medgen: {backend: native, adapt_on: [medical-demo], label: MedGen (corpus)}
          medgen-fewshot: {backend: native, adapt: true, label: MedGen (few-shot)}
        """;

    static ExperimentConfig Config(string dir, string corpora, string generators = Generators)
    {
        var path = Path.Combine(dir, "experiments.yaml");
        File.WriteAllText(path, TinySweep.Yaml(Path.Combine(dir, "run"), generators, "[0, 1]", "[0]") + "\n" + corpora);
        return ExperimentConfigLoader.Load(path);
    }

    [Fact]
    public void CorporaAndAdaptOnAreChecked()
    {
        var dir = TinySweep.TempDir("corpus-config");
        using var cleanup = new DeleteOnDispose(dir);
        var e = Assert.Throws<ConfigException>(() => Config(dir, "corpora:\n  other: {adapter: demo}\n"));
        Assert.Contains("generators.medgen.adapt_on: 'medical-demo' is not a corpus of this file (corpora: other)", e.Message);
        e = Assert.Throws<ConfigException>(() => Config(dir, "corpora:\n  medical-demo: {adapter: demo}\n",
            "  both: {backend: native, adapt: true, adapt_on: [medical-demo]}\n"));
        Assert.Contains("adapt: true (the dataset's training split) and adapt_on (corpora) are two generators", e.Message);
        e = Assert.Throws<ConfigException>(() => Config(dir, "corpora:\n  medical-demo: {captions: c.csv, clips: 3}\n"));
        Assert.Contains("corpora.medical-demo.clips: applies only to adapter: demo", e.Message);
        var config = Config(dir, "corpora:\n  medical-demo: {captions: data/c.jsonl, caption_field: brief}\n");
        var corpus = Assert.Single(config.Corpora);
        Assert.Equal((false, Path.Combine(dir, "data", "c.jsonl"), "path", "brief"), (corpus.IsDemo, corpus.CaptionsFile, corpus.PathField, corpus.CaptionField));
    }

    [Fact]
    public void OneCorpusAdapterServesTheSweepAndTheFewShotAdapterIsItsOwnRow()
    {
        var dir = TinySweep.TempDir("corpus-sweep");
        using var cleanup = new DeleteOnDispose(dir);
        var config = Config(dir, "corpora:\n  medical-demo: {adapter: demo, clips: 6, seed: 3}\n");
        var plan = SweepPlanner.Plan(config);
        Assert.Equal(["medical-demo"], Assert.Single(plan.AdaptedCorpora));
        Assert.Equal(["demo"], plan.AdaptedDatasets);
        var preview = SweepRunner.Preview(plan, new HashSet<StageKind>()).Select(d => d.Stage).ToList();
        Assert.Contains("LoRA adapter corpus medical-demo", preview);
        Assert.Contains("LoRA adapter demo", preview);

        var outcome = TinySweep.Runner(plan, TinySweep.Tracker(config)).Run();
        Assert.True(outcome.Complete, string.Join("; ", outcome.Failures.Select(f => f.Error)));
        var stages = new SweepStages(config, SweepRunner.LoadExisting(config), SweepGenerators.BuildConfig(config), new HashSet<StageKind>(),
            new Augment.Data.Video.ClipCache(Path.Combine(config.OutputDir, "cache")));
        var record = Augment.Data.AtomicFile.ReadJson<GeneratorTrainingRecord>(Path.Combine(stages.CorpusAdapterDir(["medical-demo"]), SweepStages.AdapterMarker));
        Assert.Equal(6, record.Clips);
        Assert.Equal(["corpus:medical-demo"], record.Pool);
        // Rendered apart from the demo dataset, with captions.
        Assert.True(File.Exists(Path.Combine(config.OutputDir, "data", "corpus-medical-demo", "seed3-6clips-4x32x32", "captions.csv")));
        Assert.All(SweepRunner.Preview(plan, new HashSet<StageKind>()), d => Assert.Equal(StageAction.Reuse, d.Action));

        // A new corpus seed retrains that adapter and what was generated from it, not the few-shot one.
        File.WriteAllText(config.SourcePath, File.ReadAllText(config.SourcePath).Replace("seed: 3", "seed: 4"));
        var reseeded = ExperimentConfigLoader.Load(config.SourcePath);
        // ...rendered into a folder of its own, so the new seed is really another corpus.
        Assert.NotEqual(config.Corpora[0].CaptionsFile, reseeded.Corpora[0].CaptionsFile);
        var edited = SweepRunner.Preview(SweepPlanner.Plan(reseeded), new HashSet<StageKind>()).ToDictionary(d => d.Stage);
        Assert.Equal(StageAction.Rerun, edited["LoRA adapter corpus medical-demo"].Action);
        Assert.Equal(StageAction.Rerun, edited["generation demo/medgen/s0"].Action);
        Assert.Equal(StageAction.Reuse, edited["LoRA adapter demo"].Action);
        Assert.Equal(StageAction.Reuse, edited["generation demo/medgen-fewshot/s0"].Action);
    }
}
