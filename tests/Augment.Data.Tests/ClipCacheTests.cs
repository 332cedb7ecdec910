using Augment.Data;
using Augment.Data.Video;

namespace Augment.Tests.Data;

public class ClipCacheTests
{
    static readonly ClipSpec Spec = new(4, 16, 16);

    [Fact]
    public void SecondReadComesFromDiskNotTheDecoder()
    {
        using var dir = new TempDir();
        var video = Fixtures.WriteVideo(dir["v.mp4"], frames: 8);
        var clip = new ClipRef(video, "a", "train", "v");
        var cache = new ClipCache(dir["cache"]);
        var first = cache.Get(clip, Spec);
        var second = cache.Get(clip, Spec);
        Assert.Equal(1, cache.Decodes);
        Assert.Equal(first.Pixels, second.Pixels);

        // A fresh cache (another process) on the same folder decodes nothing either.
        var other = new ClipCache(dir["cache"]);
        Assert.Equal(first.Pixels, other.Get(clip, Spec).Pixels);
        Assert.Equal(0, other.Decodes);

        // A different window or spec is a different entry.
        other.Get(clip with { StartFrame = 2, FrameCount = 4 }, Spec);
        other.Get(clip, Spec with { Resize = ResizeMode.Letterbox });
        Assert.Equal(2, other.Decodes);
    }

    [Fact]
    public void CorruptOrTruncatedEntryIsDecodedAgain()
    {
        using var dir = new TempDir();
        var clip = new ClipRef(Fixtures.WriteVideo(dir["v.mp4"], frames: 8), "a", "train", "v");
        var cache = new ClipCache(dir["cache"]);
        var good = cache.Get(clip, Spec);
        var entry = cache.EntryPath(clip, Spec);

        var bytes = File.ReadAllBytes(entry);
        bytes[100] ^= 0xFF;
        File.WriteAllBytes(entry, bytes);
        Assert.Equal(good.Pixels, cache.Get(clip, Spec).Pixels);
        Assert.Equal(2, cache.Decodes);

        File.WriteAllBytes(entry, bytes[..50]);
        Assert.Equal(good.Pixels, cache.Get(clip, Spec).Pixels);
        Assert.Equal(3, cache.Decodes);
        Assert.Equal(good.Pixels, cache.Get(clip, Spec).Pixels);
        Assert.Equal(3, cache.Decodes);
    }

    [Fact]
    public void ChangedContentIsANewKeyAndParallelReadersAgree()
    {
        using var dir = new TempDir();
        var path = Fixtures.WriteVideo(dir["v.mp4"], frames: 8, step: 10);
        var clip = new ClipRef(path, "a", "train", "v");
        var cache = new ClipCache(dir["cache"]);
        var results = new Clip[8];
        Parallel.For(0, results.Length, i => results[i] = cache.Get(clip, Spec));
        Assert.Equal(1, cache.Decodes);
        Assert.All(results, r => Assert.Equal(results[0].Pixels, r.Pixels));

        VideoIO.WriteMp4(path, Fixtures.Ramp(8, 16, 16, step: 25));
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        var changed = cache.Get(clip, Spec);
        Assert.Equal(2, cache.Decodes);
        Assert.NotEqual(results[0].Pixels, changed.Pixels);
    }

    [Fact]
    public void ContentHashesAreRememberedInTheCacheFolderForOtherProcessesUntilTheFileChanges()
    {
        using var dir = new TempDir();
        var video = Fixtures.WriteVideo(dir["a.mp4"]);
        var real = FileHash.Sha256(video);
        var first = new ClipCache(dir["cache"]);
        var other = Fixtures.WriteVideo(dir["b.mp4"]);
        var hashed = first.HashOf(other); // first, so this process has not hashed b.mp4 before
        Assert.Equal(FileHash.Sha256(other), hashed);
        Assert.Contains(new FileInfo(other).FullName, File.ReadAllText(dir["cache/content-hashes.tsv"]));

        // What another process remembered is believed without reading the file (this one never hashed c.mp4)…
        var unread = Fixtures.WriteVideo(dir["c.mp4"]);
        var info = new FileInfo(unread);
        var remembered = new string('a', 64);
        File.AppendAllText(dir["cache/content-hashes.tsv"], $"{info.Length}\t{info.LastWriteTimeUtc.Ticks}\t{remembered}\t{info.FullName}\ngarbage line\n");
        Assert.Equal(remembered, new ClipCache(dir["cache"]).HashOf(unread));
        // …until the file changes (size or modification time): then it is hashed again.
        File.SetLastWriteTimeUtc(unread, info.LastWriteTimeUtc.AddMinutes(1));
        Assert.Equal(FileHash.Sha256(unread), new ClipCache(dir["cache"]).HashOf(unread));
        Assert.NotEqual(remembered, FileHash.Sha256(unread));
        Assert.Equal(real, new ClipCache(dir["cache"]).HashOf(video));
    }
}
