using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;

namespace Augment.Tests.Data;

public class DemoDatasetTests
{
    static readonly DemoOptions Tiny = new()
    {
        Classes = 3, Frames = 4, Size = 24, TrainPerClass = 5, ScarceTrainPerClass = 2, ScarceClasses = 1,
        ValPerClass = 2, TestPerClass = 3,
    };

    [Fact]
    public void RendersASplitLayoutThatLoadsWithScarcityApplied()
    {
        using var dir = new TempDir();
        var spec = DemoDataset.Render(dir.Path, seed: 3, Tiny);
        Assert.True(File.Exists(dir["dataset.yaml"]));
        var reloaded = DatasetSpecYaml.Load(dir["dataset.yaml"]);
        Assert.Equal((spec.Name, spec.Adapter, spec.Root, spec.Seed), (reloaded.Name, reloaded.Adapter, reloaded.Root, reloaded.Seed));
        Assert.Equal(spec.Keep, reloaded.Keep);
        Assert.Equal(new Dictionary<string, int> { [DemoDataset.AllClasses[2].Name] = 2 }, reloaded.Keep);

        var data = DatasetLoader.Load(DatasetSpecYaml.Load(dir["dataset.yaml"]));
        Assert.Equal(DemoDataset.AllClasses.Take(3).Select(c => c.Name), data.Classes);
        Assert.Empty(data.Quarantined);
        var scarce = data.Classes[2];
        Assert.Equal(2, data.Split(Splits.Train).Count(c => c.Label == scarce));
        Assert.Equal(5, data.Split(Splits.Train).Count(c => c.Label == data.Classes[0]));
        Assert.Equal(3 * 2, data.Split(Splits.Val).Count());
        Assert.Equal(3 * 3, data.Split(Splits.Test).Count());
        Assert.Equal(DemoDataset.AllClasses[0].Prompt, data.Prompts[data.Classes[0]]);
        var clip = VideoIO.Read(data.Clips[0].Path, new ClipSpec(4, 24, 24));
        Assert.Equal(4 * 24 * 24 * 3, clip.Pixels.Length);
    }

    [Fact]
    public void SameSeedSameVideosAndClassesLookDifferent()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        var small = Tiny with { TrainPerClass = 2, ScarceTrainPerClass = 1, ValPerClass = 1, TestPerClass = 1 };
        DemoDataset.Render(a.Path, 7, small);
        DemoDataset.Render(b.Path, 7, small);
        foreach (var f in Directory.GetFiles(a.Path, "*.mp4", SearchOption.AllDirectories))
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(b.Path, Path.GetRelativePath(a.Path, f))));
    }

    [Fact]
    public void BundledPromptsMatchTheRenderer()
    {
        var bundled = ClassPrompts.Load(DatasetLoader.BundledFile("demo", ClassPrompts.FileName));
        Assert.Equal(DemoDataset.AllClasses, bundled);
    }

    [Fact]
    public void GeneralPoolHasItsOwnPromptsAndLoads()
    {
        using var dir = new TempDir();
        var spec = DemoDataset.RenderGeneralPool(dir.Path, 1, Tiny with { TrainPerClass = 4 });
        var data = DatasetLoader.Load(spec);
        Assert.Equal(DemoDataset.GeneralClasses.Take(3).Select(c => c.Name), data.Classes);
        Assert.Equal(DemoDataset.GeneralClasses[1].Prompt, data.Prompts[data.Classes[1]]);
        Assert.Equal(12, data.Clips.Count);
        Assert.Contains(data.Clips, c => c.Split == Splits.Train);
    }
}

public class BundledFilesTests
{
    [Fact]
    public void EachBundledPromptFileNamesExactlyItsAdaptersClasses()
    {
        ClassPrompt[] Load(string name) => [.. ClassPrompts.Load(DatasetLoader.BundledFile(name, ClassPrompts.FileName))];
        Assert.Equal(["Medical Instructional", "Medical Non-instructional", "Non-medical"], Load("medvidcl").Select(c => c.Name));
        Assert.Equal(["dissection", "knot-tying", "needle-driving"], Load("surgvisdom").Select(c => c.Name));
        var mapping = Augment.Data.Datasets.Adapters.FindingMapping.Load(DatasetLoader.BundledFile("hyperkvasir", "findings.yaml"));
        Assert.Equal(mapping.Classes, Load("hyperkvasir").Select(c => c.Name));
        Assert.All(["medvidcl", "surgvisdom", "hyperkvasir", "demo"], n => Assert.All(Load(n), c => Assert.DoesNotContain("a video of", c.Prompt)));
    }

    [Fact]
    public void FindingMappingIgnoresCaseAndPunctuationAndKnowsExclusions()
    {
        var m = Augment.Data.Datasets.Adapters.FindingMapping.Load(DatasetLoader.BundledFile("hyperkvasir", "findings.yaml"));
        Assert.Equal("dyed-lifted-polyp", m.ClassOf("Stained lifted polyp"));
        Assert.Equal("dyed-lifted-polyp", m.ClassOf("dye-lifted  polyp"));
        Assert.Equal("dyed-lifted-polyp", m.ClassOf("dyed-lifted-polyps"));   // the archive's class folder
        Assert.Equal("polyp", m.ClassOf("Polyp"));
        Assert.True(m.IsExcluded("None"));
        Assert.True(m.IsExcluded("out of patient"));
        Assert.Null(m.ClassOf("something new"));
        Assert.False(m.IsExcluded("something new"));
    }

    [Fact]
    public void SpecFromAnExperimentsNodeLeavesTheCallersKeysAlone()
    {
        var yaml = new YamlDotNet.RepresentationModel.YamlStream();
        yaml.Load(new StringReader("datasets:\n  - name: demo\n    adapter: folder\n    root: data/demo\n    target_classes: [a]\n    seed: 4\n"));
        var root = (YamlDotNet.RepresentationModel.YamlMappingNode)yaml.Documents[0].RootNode;
        var node = (YamlDotNet.RepresentationModel.YamlMappingNode)((YamlDotNet.RepresentationModel.YamlSequenceNode)root.Children["datasets"])[0];
        var spec = DatasetSpecYaml.FromNode(node, "/base", "experiments.yaml", new HashSet<string> { "target_classes" });
        Assert.Equal(("demo", "/base/data/demo", 4L), (spec.Name, spec.Root, spec.Seed));
        var e = Assert.Throws<DatasetSpecException>(() => DatasetSpecYaml.FromNode(node, "/base", "experiments.yaml"));
        Assert.Equal("experiments.yaml:5: target_classes: unknown key (expected one of: name, adapter, root, video_dir, manifest, mapping, prompts, keep, val_fraction, test_fraction, clips_per_video, window_frames, domain_splits, seed, group_by, label_source)", e.Message);
    }
}
