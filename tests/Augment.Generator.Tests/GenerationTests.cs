using Augment.Synthetic.Gate;
using Augment.Data;
using Augment.Data.Video;
using Augment.Generator;
using Augment.Generator.Backends;
using Augment.Generator.Models.Native;
using Augment.Generator.Training;
using Augment.Synthetic;

namespace Augment.Tests.Generator;

public class GenerationTests
{
    static readonly ClipSpec Spec = new(Frames: 8, Height: 32, Width: 32);

    /// <summary>What `augment generate` does: the backend makes the clips, the gate then judges them in the same folder.</summary>
    internal static GateResult GenerateAndGate(IVideoGenerator generator, GenerationRequest request, ClipCache cache, GateOptions? gate = null) =>
        GateRun.Execute(generator.Generate(request).ClipsPath, request.Dataset, request.Spec, cache, gate ?? new GateOptions(), request.OutDir);

    static (NativeGenerator Generator, Augment.Data.Datasets.Dataset Dataset, ClipCache Cache, string Dir) Trained()
    {
        var dir = TinyFixtures.TempDir();
        var dataset = TinyFixtures.WriteDataset(dir);
        var cache = new ClipCache(Path.Combine(dir, "cache"));
        var config = TinyFixtures.Config(pretrainSteps: 30);
        var basePath = Path.Combine(dir, "base.ckpt");
        GeneratorTraining.Pretrain([dataset], Spec, cache, config, basePath);
        return (new NativeGenerator("hunyuanvideo", basePath, null, config), dataset, cache, dir);
    }

    [Fact]
    public void NativeGeneratorWritesClipsManifestAndContactSheetsAndResumes()
    {
        var (generator, dataset, cache, dir) = Trained();
        var outDir = Path.Combine(dir, "out");
        var request = new GenerationRequest(dataset, Spec, new Dictionary<string, int> { ["red"] = 2, ["blue"] = 1 }, 5, outDir);
        var result = GenerateAndGate(generator, request, cache);

        var manifest = SyntheticManifest.Read(result.ManifestPath);
        Assert.Equal(["red", "red", "blue"], manifest.Select(m => m.Label));
        Assert.Equal(3, result.Accepted.Values.Sum() + result.Rejected.Values.Sum());
        foreach (var entry in manifest)
        {
            var clip = VideoIO.Read(SyntheticManifest.Resolve(result.ManifestPath, entry), Spec);
            Assert.Equal((8, 32, 32), (clip.Frames, clip.Height, clip.Width));
            Assert.Equal(generator.CheckpointHash, entry.CheckpointHash);
            Assert.Equal("hunyuanvideo", entry.Generator);
            Assert.Equal(dataset.Prompts[entry.Label], entry.Prompt);
            Assert.Equal(7, entry.GateScores.Count); // the six original scores plus blockiness
            Assert.Equal(entry.Accepted, entry.RejectReason is null);
        }
        Assert.Equal(2, result.ContactSheets.Count);
        Assert.All(result.ContactSheets, p => Assert.True(new FileInfo(p).Length > 100));

        // Asking for more clips later reuses the ones on disk and extends each class: nested subsets.
        var firstClip = Path.Combine(outDir, manifest[0].Path);
        var written = File.GetLastWriteTimeUtc(firstClip);
        var more = GenerateAndGate(generator, request with { PerClass = new Dictionary<string, int> { ["red"] = 3, ["blue"] = 1 } }, cache);
        var extended = SyntheticManifest.Read(more.ManifestPath);
        Assert.Equal(4, extended.Count);
        Assert.Equal(written, File.GetLastWriteTimeUtc(firstClip));
        Assert.Equal(manifest.Select(m => m.Path), extended.Where(m => m.Path != "clips/red/2.mp4").Select(m => m.Path));

        // Another folder with the same seed gets the same clips.
        var again = GenerateAndGate(generator, request with { OutDir = Path.Combine(dir, "again") }, cache);
        var repeat = SyntheticManifest.Read(again.ManifestPath);
        for (int i = 0; i < manifest.Count; i++)
        {
            Assert.Equal(manifest[i].Seed, repeat[i].Seed);
            Assert.Equal(manifest[i].GateScores, repeat[i].GateScores);
        }
    }

    [Fact]
    public void ImportBackendReencodesValidClipsAndRefusesBadManifests()
    {
        var dir = TinyFixtures.TempDir();
        var dataset = TinyFixtures.WriteDataset(Path.Combine(dir, "data"));
        var cache = new ClipCache(Path.Combine(dir, "cache"));
        var import = Path.Combine(dir, "import");
        VideoIO.WriteMp4(Path.Combine(import, "a.mp4"), TinyFixtures.Textured(70, 10, 48));
        VideoIO.WriteMp4(Path.Combine(import, "sub", "b.mp4"), TinyFixtures.Textured(71, 10, 48));
        File.WriteAllText(Path.Combine(import, "broken.mp4"), "not a video");
        var csv = Path.Combine(import, "clips.csv");
        File.WriteAllText(csv, "path,label,prompt,seed\na.mp4,red,\"red, from elsewhere\",42\nsub/b.mp4,blue,,\nbroken.mp4,blue,,\n");
        var generator = new ImportGenerator("medgen", csv);
        var result = GenerateAndGate(generator, new GenerationRequest(dataset, Spec, new Dictionary<string, int> { ["red"] = 5, ["blue"] = 2 }, 0, Path.Combine(dir, "out")), cache);

        var manifest = SyntheticManifest.Read(result.ManifestPath);
        Assert.Equal(3, manifest.Count); // red has only one imported clip
        Assert.Equal("red, from elsewhere", manifest[0].Prompt);
        Assert.Equal(42, manifest[0].Seed);
        var clip = VideoIO.Read(SyntheticManifest.Resolve(result.ManifestPath, manifest[0]), Spec);
        Assert.Equal((8, 32, 32), (clip.Frames, clip.Height, clip.Width));
        Assert.StartsWith("unreadable", manifest[2].RejectReason);
        Assert.False(manifest[2].Accepted);

        void Refused(string body, string expected)
        {
            File.WriteAllText(csv, body);
            var error = Assert.Throws<InvalidDataException>(() =>
                new ImportGenerator("x", csv).Generate(new GenerationRequest(dataset, Spec, new Dictionary<string, int> { ["red"] = 1 }, 0, Path.Combine(dir, "bad"))));
            Assert.Contains(expected, error.Message);
        }
        Refused("../data/videos/red/0.mp4,red\n", "leaves the manifest's folder");
        Refused("/etc/passwd,red\n", "absolute");
        Refused("missing.mp4,red\n", "does not exist");
        Refused("a.mp4,purple\n", "'purple' is not a class");
        Refused("a.mp4\n", "expected path,label");
    }

    [Fact]
    public void OnnxBackendRunsAnExportedDenoiserInTheSameSampler()
    {
        var dir = TinyFixtures.TempDir();
        const int buckets = 64;
        var w = new float[buckets, 3];
        // "a red clip": words a, red, clip each weigh 1/3, so a row of 3·colour on the colour word alone gives that colour.
        float[] red = [0.8f, -0.7f, -0.7f], blue = [-0.7f, -0.7f, 0.8f];
        int redBucket = PromptBag.Bucket("red", buckets), blueBucket = PromptBag.Bucket("blue", buckets);
        Assert.NotEqual(redBucket, blueBucket);
        Assert.DoesNotContain(PromptBag.Bucket("a", buckets), new[] { redBucket, blueBucket });
        Assert.DoesNotContain(PromptBag.Bucket("clip", buckets), new[] { redBucket, blueBucket });
        for (int c = 0; c < 3; c++) { w[redBucket, c] = 3 * red[c]; w[blueBucket, c] = 3 * blue[c]; }
        var onnx = Path.Combine(dir, "denoiser.onnx");
        File.WriteAllBytes(onnx, OnnxModelBuilder.ColourFlow(w, 4, 16, 16));

        var config = new GeneratorConfig { Sampler = new SamplerConfig { Steps = 4, Cfg = 1.0, Shift = 3.0 } };
        using var generator = new OnnxGenerator("onnx", onnx, config);
        var clip = generator.Sample("a red clip", 3);
        Assert.Equal((4, 16, 16), (clip.Frames, clip.Height, clip.Width)); // sizes come from the graph, not the config
        var mean = TinyFixtures.MeanColour(clip);
        Assert.InRange(mean[0], 226, 232);
        Assert.InRange(mean[2], 36, 42);
        Assert.InRange(TinyFixtures.MeanColour(generator.Sample("a blue clip", 3))[2], 226, 232);

        File.WriteAllText(Path.Combine(dir, "junk.onnx"), "junk");
        Assert.Throws<InvalidDataException>(() => new OnnxGenerator("onnx", Path.Combine(dir, "junk.onnx"), config));
    }
}

public class NonFiniteGenerationTests
{
    [Fact]
    public void NonFiniteModelOutputIsRejectedAndNeverWritten()
    {
        var dir = TinyFixtures.TempDir();
        var dataset = TinyFixtures.WriteDataset(dir);
        var cache = new ClipCache(Path.Combine(dir, "cache"));
        var basePath = Path.Combine(dir, "base.ckpt");
        GeneratorTraining.PretrainOn(TinyFixtures.RedBlue(2), TinyFixtures.Config(pretrainSteps: 2), basePath, ["tiny"]);
        var generator = new NativeGenerator("hunyuanvideo", basePath, null, TinyFixtures.Config());
        var spec = new ClipSpec(Frames: 8, Height: 32, Width: 32);
        var outDir = Path.Combine(dir, "out");

        // A backend whose model output holds NaN in one clip out of two.
        var made = GenerationRun.Execute(generator, new GenerationRequest(dataset, spec, new Dictionary<string, int> { ["red"] = 2 }, 5, outDir),
            new ClipSettings(Steps: 1, Cfg: 1, Shift: 0, Solver: ""),
            job =>
            {
                var x = TorchSharp.torch.zeros(3, 8, 32, 32);
                if (job.Index == 1) x[0, 3, 5, 7] = TorchSharp.torch.tensor(float.NaN);
                return ClipTensors.FromModel(x, 8, 32, 32);
            }, progress: null, CancellationToken.None);
        var result = GateRun.Execute(made.ClipsPath, dataset, spec, cache, new GateOptions { MinSharpness = 0, MinMotion = 0 }, outDir);

        var entries = SyntheticManifest.Read(result.ManifestPath);
        Assert.Equal(2, entries.Count);
        var bad = entries.Single(e => e.Path.EndsWith("1.mp4"));
        Assert.False(bad.Accepted);
        Assert.StartsWith("non-finite output", bad.RejectReason);
        Assert.False(File.Exists(Path.Combine(outDir, bad.Path)));
        Assert.True(File.Exists(Path.Combine(outDir, entries.Single(e => e.Path.EndsWith("0.mp4")).Path)));
    }
}
