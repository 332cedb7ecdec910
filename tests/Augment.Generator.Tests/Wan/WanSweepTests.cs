using System.Text.Json.Nodes;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Weights;
using Augment.Experiments.Sweep;
using Augment.Generator;
using Augment.Generator.Adapters;
using Augment.Generator.Backends;
using Augment.Generator.Models.Wan;
using Augment.Synthetic;
using Augment.Tests.Generator.Wan;
using static TorchSharp.torch;

namespace Augment.Tests.Experiments;

/// <summary>A tiny sweep whose generator is a tiny random Wan2.1 folder laid out like the official one, with a LoRA
/// and prompt embeddings for the demo's class prompts.</summary>
public class WanSweepTests
{
    /// <summary>Embeddings [12, text_dim] for the first <paramref name="classes"/> demo prompts plus "negative".</summary>
    static string Embeddings(string dir, int classes)
    {
        var prompts = DemoDataset.AllClasses.Take(classes).Select((c, i) => ($"class{i}", c.Prompt)).Append(("negative", "blurry, static")).ToList();
        using var gen = new TorchSharp.torch.Generator(5);
        var tensors = prompts.Select(p => (p.Item1, randn([12, 16], generator: gen))).ToList();
        var path = Path.Combine(dir, $"prompts-{classes}.safetensors");
        SafeTensorsFile.Write(path, tensors, prompts.ToDictionary(p => p.Item1, p => p.Item2));
        foreach (var (_, t) in tensors) t.Dispose();
        return path;
    }

    /// <summary>A rank-2 PEFT LoRA on the folder's transformer (B random, so it changes the output).</summary>
    static string Lora(string folder)
    {
        var config = WanTransformerConfig.FromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "transformer", "config.json")))!.AsObject(), "tiny");
        using var model = new WanTransformer3DModel(config);
        PeftLora.AddAdapters(model, rank: 2, alpha: 2, PeftLora.DefaultTargets);
        using (no_grad())
            foreach (var (_, p) in PeftLora.Parameters(model)) p.normal_(0, 0.02);
        var path = Path.Combine(folder, "medgen.safetensors");
        PeftLora.Save(model, path);
        return path;
    }

    static long TransformerParameters(string folder)
    {
        using var weights = StateDicts.Open(Path.Combine(folder, "transformer"));
        return weights.Entries.Values.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b));
    }

    [Fact]
    public void ASweepWithAWanGeneratorRunsEveryCellAndTheReportNamesTheModel()
    {
        var folder = WanPipelineTests.TinyFolder();
        var dir = TinySweep.TempDir("wan-sweep");
        using var cleanup = new DeleteOnDispose(dir);
        try
        {
            var lora = Lora(folder);
            var config = TinySweep.Config(dir, $$"""
                  real: {backend: none}
                  wan: {backend: wan, label: MedGen-Wan, weights: {{folder}}, prompts: {{Embeddings(folder, 3)}}, negative: negative, lora: {{lora}}, device: cpu, steps: 2, cfg: 4}
                """, ratios: "[0, 1]", seeds: "[0]");
            var plan = SweepPlanner.Plan(config);
            var outcome = TinySweep.Runner(plan, TinySweep.Tracker(config)).Run();

            Assert.True(outcome.Complete, outcome.ToString());
            Assert.Equal(0, outcome.Failed);
            Assert.All(plan.Cells, c => Assert.Equal(CellStatus.Finished, CellResult.TryRead(c.Dir)!.Status));
            var generation = Assert.Single(plan.Generations);
            var clips = GeneratedClips.Read(Path.Combine(generation.Dir, GeneratedClips.FileName));
            Assert.NotEmpty(clips);
            Assert.All(clips, c => Assert.Equal(("wan", 2, 4.0, 3.0), (c.Generator, c.Steps, c.Cfg, c.Shift))); // shift: the scheduler folder's flow_shift
            Assert.All(clips, c => Assert.Contains(c.Prompt, DemoDataset.AllClasses.Select(d => d.Prompt)));
            Assert.NotEmpty(SyntheticManifest.Read(Path.Combine(generation.GatingDir, SyntheticManifest.FileName)));

            var md = File.ReadAllText(Path.Combine(config.OutputDir, "report", "report.md"));
            var millions = (TransformerParameters(folder) / 1e6).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains($"| +MedGen-Wan | Wan2.1 transformer ({millions}M params) from {Path.GetFileName(folder)} + LoRA medgen.safetensors rank 2 |", md);
            Assert.DoesNotContain("stand-in", md);

            // The generation's fingerprint holds the files' content: the same files reuse it, another LoRA regenerates.
            var again = TinySweep.Runner(plan, TinySweep.Tracker(config));
            Assert.Equal(plan.Cells.Count, again.Run().Skipped);
            Assert.Equal(0, again.GenerationsRun);
            Lora(folder);
            var retrained = TinySweep.Runner(plan, TinySweep.Tracker(config));
            Assert.True(retrained.Run().Complete);
            Assert.Equal(1, retrained.GenerationsRun);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void AnAdaptingWanGeneratorTrainsItsLoraInTheSweepGeneratesWithItAndReusesItOnARerun()
    {
        var folder = WanPipelineTests.TinyFolder();
        var dir = TinySweep.TempDir("wan-adapt");
        using var cleanup = new DeleteOnDispose(dir);
        try
        {
            var yaml = $$"""
                  real: {backend: none}
                  wan: {backend: wan, label: MedGen-Wan, weights: {{folder}}, prompts: {{Embeddings(folder, 3)}}, negative: negative, adapt: true, lora_rank: 2, adapt_steps: 3, adapt_learning_rate: 0.01, device: cpu, steps: 1, cfg: 4}
                """;
            var config = TinySweep.Config(dir, yaml, ratios: "[0, 1]", seeds: "[0]");
            var plan = SweepPlanner.Plan(config);
            Assert.Equal(["Wan LoRA wan demo"], plan.BackendStages.Select(s => s.Name));
            var outcome = TinySweep.Runner(plan, TinySweep.Tracker(config)).Run();

            Assert.True(outcome.Complete, outcome.ToString());
            Assert.Equal(0, outcome.Failed);
            var adapterDir = Path.Combine(config.OutputDir, "generators", "demo", "wan-wan");
            var lora = Path.Combine(adapterDir, "lora.safetensors");
            var record = AtomicFile.ReadJson<GeneratorTrainingRecord>(Path.Combine(adapterDir, "adapter.json"));
            Assert.Equal((3, FileHash.Sha256(lora)), (record.Steps, record.CheckpointSha256));
            Assert.True(record.Clips > 0 && double.IsFinite(record.FinalLoss));

            // Strictly loadable by the transformer it was trained on, and trained: B starts at zero, so non-zero B means steps ran.
            var transformerConfig = WanTransformerConfig.FromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "transformer", "config.json")))!.AsObject(), "tiny");
            using (var model = new WanTransformer3DModel(transformerConfig))
                Assert.All(PeftLora.Attach(model, lora), a => Assert.Equal((2, 1.0), (a.Rank, a.Scale)));
            using (var file = new SafeTensorsFile(lora))
                Assert.All(file.Entries.Keys.Where(k => k.EndsWith(".lora_B.weight", StringComparison.Ordinal)), k =>
                {
                    using var b = file.Read(k);
                    Assert.True(b.abs().max().item<float>() > 0, $"{k} is still zero");
                });

            var generation = Assert.Single(plan.Generations);
            Assert.NotEmpty(GeneratedClips.Read(Path.Combine(generation.Dir, GeneratedClips.FileName)));
            Assert.NotEmpty(SyntheticManifest.Read(Path.Combine(generation.GatingDir, SyntheticManifest.FileName)));
            Assert.All(plan.Cells, c => Assert.Equal(CellStatus.Finished, CellResult.TryRead(c.Dir)!.Status));
            var md = File.ReadAllText(Path.Combine(config.OutputDir, "report", "report.md"));
            Assert.Contains($"from {Path.GetFileName(folder)} + LoRA trained in this sweep on demo (rank 2, 3 steps) |", md);

            // A rerun reuses the LoRA (not retrained: same file, same time) and everything after it.
            var written = File.GetLastWriteTimeUtc(lora);
            var again = TinySweep.Runner(plan, TinySweep.Tracker(config));
            Assert.Equal(plan.Cells.Count, again.Run().Skipped);
            Assert.Equal(0, again.GenerationsRun);
            Assert.Equal(written, File.GetLastWriteTimeUtc(lora));
            Assert.Contains(SweepRunner.Preview(plan, new HashSet<StageKind>()), d => d.Stage == "Wan LoRA wan demo" && d.Action == StageAction.Reuse);

            // Other training settings: the LoRA is retrained, and its new content regenerates the clips.
            var edited = TinySweep.Config(dir, yaml.Replace("adapt_steps: 3", "adapt_steps: 4"), ratios: "[0, 1]", seeds: "[0]");
            var replan = SweepPlanner.Plan(edited);
            Assert.Contains(SweepRunner.Preview(replan, new HashSet<StageKind>()), d => d.Stage == "Wan LoRA wan demo" && d.Action == StageAction.Rerun && d.Why!.Contains("train.steps"));
            var retrained = TinySweep.Runner(replan, TinySweep.Tracker(edited));
            Assert.True(retrained.Run().Complete);
            Assert.Equal(1, retrained.GenerationsRun);
            Assert.Equal(4, AtomicFile.ReadJson<GeneratorTrainingRecord>(Path.Combine(adapterDir, "adapter.json")).Steps);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void APartialWeightsFolderFailsTheWanCellsNamingTheMissingShardAndTheBaselineStillRuns()
    {
        var folder = WanPipelineTests.TinyFolder();
        var dir = TinySweep.TempDir("wan-partial");
        using var cleanup = new DeleteOnDispose(dir);
        try
        {
            const string shard = "diffusion_pytorch_model-00002-of-00002.safetensors";
            File.Delete(Path.Combine(folder, "transformer", shard));
            var config = TinySweep.Config(dir, $$"""
                  real: {backend: none}
                  wan: {backend: wan, weights: {{folder}}, prompts: {{Embeddings(folder, 3)}}, negative: negative, device: cpu, steps: 1}
                """, ratios: "[0, 1]", seeds: "[0]");
            var outcome = TinySweep.Runner(SweepPlanner.Plan(config), TinySweep.Tracker(config)).Run();

            Assert.Equal(1, outcome.Finished);
            var failure = Assert.Single(outcome.Failures);
            Assert.Equal("demo/wan/r1/s0", failure.Key);
            Assert.Contains($"{shard} is missing", failure.Error);
            var summary = AtomicFile.ReadJson<SweepSummary>(Path.Combine(config.OutputDir, SweepSummary.FileName));
            Assert.StartsWith($"Wan2.1 from {Path.GetFileName(folder)} (not readable:", Assert.Single(summary.Generators).Description);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void AClassPromptMissingFromTheEmbeddingsIsAnErrorNamingTheFileAndThePrompt()
    {
        var folder = WanPipelineTests.TinyFolder();
        try
        {
            var data = DatasetLoader.Load(DemoDataset.Render(Path.Combine(folder, "demo"), 0,
                new DemoOptions(Classes: 2, Frames: 4, Size: 32, TrainPerClass: 1, ScarceTrainPerClass: 1, ScarceClasses: 0, ValPerClass: 1, TestPerClass: 1)));
            var prompts = Embeddings(folder, 1);
            using var wan = new WanGenerator("wan", new WanOptions(folder, prompts, "negative", Device: "cpu", Steps: 1));
            var missing = DemoDataset.AllClasses[1];
            var e = Assert.Throws<InvalidDataException>(() => wan.Generate(new GenerationRequest(data, new ClipSpec(4, 32, 32),
                new Dictionary<string, int> { [missing.Name] = 1 }, 0, Path.Combine(folder, "out"))));
            Assert.Contains(prompts, e.Message);
            Assert.Contains($"\"{missing.Prompt}\"", e.Message);
        }
        finally { Directory.Delete(folder, recursive: true); }
    }
}
