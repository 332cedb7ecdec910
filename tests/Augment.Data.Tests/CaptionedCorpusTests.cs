using Augment.Data.Datasets;
using Augment.Tests.Experiments;

namespace Augment.Tests.Data;

/// <summary>Captioned corpora: CSV path,caption, JSON lines and arrays with their own field names, the demo's rendered one.</summary>
public class CaptionedCorpusTests
{
    static string Touch(string dir, string relative)
    {
        var path = Path.Combine(dir, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, [0]);
        return path;
    }

    [Fact]
    public void CsvWithHeaderQuotedCaptionsAndRelativePaths()
    {
        var dir = TinySweep.TempDir("corpus-csv");
        using var cleanup = new DeleteOnDispose(dir);
        var a = Touch(dir, "clips/a.mp4");
        var b = Touch(dir, "clips/b.mp4");
        File.WriteAllText(Path.Combine(dir, "captions.csv"), "path,caption\nclips/a.mp4,a polyp on pink mucosa\n\n" + $"{b},\"blood, streaming downwards\"\n");
        var corpus = CaptionedCorpus.Load("c", Path.Combine(dir, "captions.csv"));
        Assert.Equal([new CorpusClip(a, "a polyp on pink mucosa"), new CorpusClip(b, "blood, streaming downwards")], corpus.Clips);
    }

    [Fact]
    public void JsonLinesAndArraysWithTheirOwnFieldNames()
    {
        var dir = TinySweep.TempDir("corpus-json");
        using var cleanup = new DeleteOnDispose(dir);
        var a = Touch(dir, "v/a.mp4");
        File.WriteAllText(Path.Combine(dir, "c.jsonl"), "{\"path\": \"v/a.mp4\", \"caption\": \"dye around a polyp\"}\n");
        Assert.Equal("dye around a polyp", CaptionedCorpus.Load("c", Path.Combine(dir, "c.jsonl")).Clips.Single().Caption);
        File.WriteAllText(Path.Combine(dir, "c.json"), "[{\"video\": \"v/a.mp4\", \"brief\": \"vessels\", \"detailed\": \"fine red vessels\"}]");
        var corpus = CaptionedCorpus.Load("c", Path.Combine(dir, "c.json"), pathField: "video", captionField: "detailed");
        Assert.Equal(new CorpusClip(a, "fine red vessels"), corpus.Clips.Single());
    }

    [Fact]
    public void BadRowsNameTheFileTheLineAndTheProblem()
    {
        var dir = TinySweep.TempDir("corpus-bad");
        using var cleanup = new DeleteOnDispose(dir);
        Touch(dir, "a.mp4");
        var csv = Path.Combine(dir, "captions.csv");
        string Error(string text, string file = "captions.csv", string field = CaptionedCorpus.DefaultCaptionField)
        {
            File.WriteAllText(Path.Combine(dir, file), text);
            return Assert.Throws<InvalidDataException>(() => CaptionedCorpus.Load("c", Path.Combine(dir, file), captionField: field)).Message;
        }
        Assert.Equal($"{csv}:2: 'missing.mp4' does not exist ({Path.Combine(dir, "missing.mp4")})", Error("a.mp4,ok\nmissing.mp4,gone\n"));
        Assert.Equal($"{csv}:1: 'a.mp4' has an empty caption", Error("a.mp4, \n"));
        Assert.Equal($"{csv}:1: expected path,caption (2 fields; quote a caption that holds commas), got 3", Error("a.mp4,red,swollen\n"));
        Assert.Equal($"{Path.Combine(dir, "c.jsonl")}:1: no string field 'text' (fields: path, caption)", Error("{\"path\":\"a.mp4\",\"caption\":\"x\"}\n", "c.jsonl", "text"));
        Assert.Contains("c.txt: a corpus captions file must be .csv (path,caption), .jsonl or .json", Error("a.mp4,x\n", "c.txt"));
        Assert.Equal($"{csv}: corpus c lists no clips", Error("path,caption\n"));
    }

    [Fact]
    public void TheDemoCorpusIsCaptionedWithWhatIsVisibleNotWithClassNames()
    {
        var dir = TinySweep.TempDir("corpus-demo");
        using var cleanup = new DeleteOnDispose(dir);
        var file = DemoDataset.RenderCorpus(dir, seed: 1, clips: 12, frames: 2, size: 16);
        var corpus = CaptionedCorpus.Load("medical-demo", file);
        Assert.Equal(12, corpus.Clips.Count);
        Assert.All(corpus.Clips, c => Assert.StartsWith("endoscopy: ", c.Caption));
        Assert.All(corpus.Clips, c => Assert.DoesNotContain(DemoDataset.AllClasses, k => c.Caption.Contains(k.Name)));
        // Its own mix: several kinds of scene, not one caption repeated.
        Assert.True(corpus.Clips.Select(c => c.Caption).Distinct().Count() >= 6);
        Assert.Contains(corpus.Clips, c => c.Caption.Contains("polyp"));
        // Rendered from its seed alone.
        Assert.Equal(File.ReadAllText(file), File.ReadAllText(DemoDataset.RenderCorpus(Path.Combine(dir, "again"), 1, 12, 2, 16)));
    }
}
