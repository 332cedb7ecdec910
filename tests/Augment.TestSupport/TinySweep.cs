using Augment.Experiments.Cluster;
using Augment.Experiments.Config;
using Augment.Experiments.Sweep;
using Augment.Report;
using Augment.Tracking;

namespace Augment.Tests.Experiments;

/// <summary>A tiny real sweep on a tiny rendered demo: 3 classes, 4 frames of 32 px, a few clips, 2 epochs, a few generator steps.</summary>
public static class TinySweep
{
    public static string Yaml(string outputDir, string generators, string ratios = "[0, 0.5, 1]", string seeds = "[0, 1]") => $"""
        experiment: tiny-sweep-test
        profile: tiny
        output_dir: {outputDir}
        clip: {"{frames: 4, height: 32, width: 32}"}
        seeds: {seeds}
        ratios: {ratios}
        datasets:
          demo:
            adapter: demo
            demo: {"{classes: 3, train_per_class: 6, scarce_train_per_class: 2, scarce_classes: 1, val_per_class: 2, test_per_class: 4}"}
        generators:
        {generators}
        generator:
          autoencoder_steps: 4
          pretrain_steps: 4
          adapt_steps: 3
          sample_steps: 2
          # A 4-step model draws nearly flat clips: let blur and stillness pass so mixing is exercised (the gate has its own tests).
          gate: {"{min_sharpness: 0, min_motion: 0}"}
        classifier: {"{epochs: 2, width: 4, depth: 1, batch_size: 8}"}
        """;

    /// <summary>Real only plus an import generator whose manifest does not exist: its cells fail, the real-only one finishes.</summary>
    public const string BrokenImportGenerators = """
          real: {backend: none}
          broken: {backend: import, manifest: missing-clips.csv}
        """;

    public const string NativeGenerators = """
          real: {backend: none, label: Real only}
          hunyuanvideo: {backend: native, adapt: false, label: HunyuanVideo}
          medgen: {backend: native, adapt: true, label: MedGen}
        """;

    public static ExperimentConfig Config(string dir, string generators, string ratios = "[0, 0.5, 1]", string seeds = "[0, 1]")
    {
        var path = Path.Combine(dir, "experiments.yaml");
        File.WriteAllText(path, Yaml(Path.Combine(dir, "run"), generators, ratios, seeds));
        return ExperimentConfigLoader.Load(path);
    }

    /// <summary>A runner that writes the report when its grid is complete, as `augment sweep` does.</summary>
    public static SweepRunner Runner(SweepPlan plan, IExperimentTracker tracker, IReadOnlySet<StageKind>? force = null,
        SweepScope? scope = null, StageClaims? claims = null) =>
        new(plan, tracker, force, scope, claims) { WriteReport = dir => ReportWriter.Write(dir).Html };

    public static FileStoreTracker Tracker(ExperimentConfig config) => new(Path.Combine(config.OutputDir, "mlruns"));

    public static string TempDir(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "augment-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}

public sealed class DeleteOnDispose(string dir) : IDisposable
{
    public void Dispose() => Directory.Delete(dir, recursive: true);
}
