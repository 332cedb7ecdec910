using System.Text.Json;
using Augment.Data;
using Augment.Data.Datasets;
using Augment.Experiments.Config;

namespace Augment.Tests.Experiments;

/// <summary>dataset.yaml and a dataset entry of experiments.yaml take the same keys, read by the same code.</summary>
public class DatasetKeysTests
{
    // A value for every key of DatasetSpec; a key added to the record without one here fails the test.
    static readonly Dictionary<string, string> Samples = new()
    {
        ["adapter"] = "manifest", ["root"] = "data", ["video_dir"] = "videos", ["manifest"] = "clips.csv", ["mapping"] = "map.yaml",
        ["prompts"] = "prompts.yaml", ["keep"] = "{polyp: 2}", ["val_fraction"] = "0.1", ["test_fraction"] = "0.3",
        ["clips_per_video"] = "3", ["window_frames"] = "16", ["domain_splits"] = "{VR: train+val, Porcine: test}", ["seed"] = "7",
        ["group_by"] = "'^(p\\d+)_'", ["label_source"] = "csv",
    };

    static string Comparable(DatasetSpec spec) => JsonSerializer.Serialize(spec with { SourceFile = null, Lines = new Dictionary<string, int>() }, AtomicFile.Json);

    [Fact]
    public void EveryDatasetYamlKeyIsAcceptedInExperimentsYamlAndMeansTheSame()
    {
        var keys = DatasetSpecYaml.Keys.Where(k => k != "name").ToList();
        Assert.Contains("group_by", keys);
        Assert.Contains("label_source", keys);
        Assert.Empty(keys.Where(k => !Samples.ContainsKey(k)));

        var dir = TinySweep.TempDir("dataset-keys");
        var lines = string.Join("\n", keys.Select(k => $"{k}: {Samples[k]}"));
        var specFile = Path.Combine(dir, "dataset.yaml");
        File.WriteAllText(specFile, $"name: kvasir\n{lines}\n");
        var fromSpecFile = DatasetSpecYaml.Load(specFile);

        var indented = string.Join("\n", keys.Select(k => $"    {k}: {Samples[k]}"));
        var config = ExperimentConfigLoader.Parse($"ratios: [0]\ndatasets:\n  kvasir:\n{indented}\n", Path.Combine(dir, "experiments.yaml"));
        var entry = Assert.Single(config.Datasets);
        var fromSweep = entry.ToSpec(config.SourcePath);

        Assert.Equal(Comparable(fromSpecFile), Comparable(fromSweep));
        Assert.Equal("csv", fromSweep.LabelSource);
        Assert.Equal("^(p\\d+)_", fromSweep.GroupBy);
    }
}
