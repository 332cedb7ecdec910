using Augment.Data;
using Augment.Data.Video;

namespace Augment.Tests.Data;

public class VideoIOTests
{
    [Theory]
    [InlineData(32)]
    [InlineData(16)] // below MinStoredSide: stored upscaled, read back at its own size
    public void RoundTripKeepsFramesWithinCodecTolerance(int size)
    {
        using var dir = new TempDir();
        var original = Fixtures.Ramp(8, size, size);
        VideoIO.WriteMp4(dir["a.mp4"], original, fps: 10);

        var info = VideoIO.Probe(dir["a.mp4"]);
        Assert.Equal((8, 10.0), (info.FrameCount, info.Fps));
        Assert.True(info.Width >= size && info.Width % size == 0 && info.Height == info.Width);
        var back = VideoIO.Read(dir["a.mp4"], new ClipSpec(8, size, size));
        Assert.Equal(original.Pixels.Length, back.Pixels.Length);
        double meanAbs = original.Pixels.Zip(back.Pixels, (a, b) => Math.Abs(a - b)).Average();
        Assert.True(meanAbs < 6, $"mean absolute error {meanAbs:F2} after mp4v round trip");
        // Channel order survives (RGB in, RGB out): red stays high, blue low.
        Assert.InRange(Fixtures.Mean(back, 0, 0), 180, 220);
        Assert.InRange(Fixtures.Mean(back, 0, 2), 20, 60);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp*", SearchOption.AllDirectories));
    }

    [Fact]
    public void SamplesUniformlyOverTheWindow()
    {
        using var dir = new TempDir();
        Fixtures.WriteVideo(dir["v.mp4"], frames: 20, step: 12);
        var clip = VideoIO.Read(dir["v.mp4"], new ClipSpec(4, 16, 16), start: 4, count: 8);
        // Window frames 4..11, 4 samples at segment centres → source frames 5, 7, 9, 11.
        int[] expected = [5, 7, 9, 11];
        for (int t = 0; t < 4; t++)
            Assert.InRange(Fixtures.Mean(clip, t, 1), 10 + 12 * expected[t] - 6, 10 + 12 * expected[t] + 6);
    }

    [Fact]
    public void TruncatedAviWhoseHeaderOverstatesFramesIsProbedAndReadByItsTrueLength()
    {
        using var dir = new TempDir();
        Fixtures.WriteVideo(dir["full.avi"], frames: 40, size: 32, step: 5);
        var bytes = File.ReadAllBytes(dir["full.avi"]);
        File.WriteAllBytes(dir["cut.avi"], bytes[..(int)(bytes.Length * 0.7)]);
        using (var cap = new OpenCvSharp.VideoCapture(dir["cut.avi"]))
            Assert.Equal(40, (int)cap.Get(OpenCvSharp.VideoCaptureProperties.FrameCount)); // the header still claims 40

        int n = VideoIO.Probe(dir["cut.avi"]).FrameCount;
        Assert.InRange(n, 2, 39);
        var clip = VideoIO.Read(dir["cut.avi"], new ClipSpec(8, 16, 16));
        int last = (int)(7.5 * n / 8); // uniform sampling over the n decodable frames
        Assert.InRange(Fixtures.Mean(clip, 7, 1), 10 + 5 * last - 8, 10 + 5 * last + 8);
        var e = Assert.Throws<VideoReadException>(() => VideoIO.Read(dir["cut.avi"], new ClipSpec(n + 1, 16, 16, Pad: PadPolicy.Reject)));
        Assert.Contains($"has {n} frames", e.Message);
    }

    [Fact]
    public void ProbeCountsTheDecodableFramesOfAVideoCutAnywhere()
    {
        // Seeking to a truncated file's claimed last frame can land on the last frame that exists; Probe must notice.
        using var dir = new TempDir();
        Fixtures.WriteVideo(dir["full.avi"], frames: 40, size: 32, step: 5);
        var bytes = File.ReadAllBytes(dir["full.avi"]);
        int checkedCuts = 0;
        for (int percent = 30; percent < 100; percent += 3)
        {
            var cut = dir[$"cut{percent}.avi"];
            File.WriteAllBytes(cut, bytes[..(bytes.Length * percent / 100)]);
            int decodable = 0;
            using (var cap = new OpenCvSharp.VideoCapture(cut))
                while (cap.IsOpened() && cap.Grab()) decodable++;
            if (decodable == 0) continue; // too little left to open: Probe's VideoReadException is tested elsewhere
            Assert.Equal(decodable, VideoIO.Probe(cut).FrameCount);
            checkedCuts++;
        }
        Assert.True(checkedCuts >= 5, $"only {checkedCuts} cuts were decodable");
    }

    [Fact]
    public void CentreCropFillsWhileLetterboxPadsWithBlack()
    {
        using var dir = new TempDir();
        var wide = new Clip(new byte[2 * 16 * 48 * 3], 2, 16, 48);
        Array.Fill(wide.Pixels, (byte)200);
        VideoIO.WriteMp4(dir["wide.mp4"], wide);

        var crop = VideoIO.Read(dir["wide.mp4"], new ClipSpec(2, 16, 16, ResizeMode.CenterCrop));
        Assert.True(crop.Pixels.All(p => p > 150), "centre-crop of a uniform frame has no border");

        var box = VideoIO.Read(dir["wide.mp4"], new ClipSpec(2, 24, 24, ResizeMode.Letterbox));
        // 48×16 scaled to 24×8: rows 0..7 and 16..23 are black bars, rows 8..15 carry the picture.
        byte Px(int y, int x) => box.Pixels[(y * 24 + x) * 3];
        Assert.True(Px(2, 12) < 10 && Px(21, 12) < 10, "letterbox bars are black");
        Assert.True(Px(12, 12) > 150, "letterbox keeps the picture in the middle");
    }

    [Fact]
    public void PadPoliciesFillShortVideos()
    {
        using var dir = new TempDir();
        Fixtures.WriteVideo(dir["short.mp4"], frames: 3, step: 40);
        var repeat = VideoIO.Read(dir["short.mp4"], new ClipSpec(6, 16, 16, Pad: PadPolicy.RepeatLast));
        var loop = VideoIO.Read(dir["short.mp4"], new ClipSpec(6, 16, 16, Pad: PadPolicy.Loop));
        double G(Clip c, int t) => Fixtures.Mean(c, t, 1);
        Assert.InRange(G(repeat, 5), G(repeat, 2) - 3, G(repeat, 2) + 3);   // last frame repeated
        Assert.InRange(G(loop, 3), G(loop, 0) - 3, G(loop, 0) + 3);         // wraps to the first
        Assert.True(G(loop, 5) - G(loop, 3) > 50, "loop plays the video again");
        var e = Assert.Throws<VideoReadException>(() => VideoIO.Read(dir["short.mp4"], new ClipSpec(6, 16, 16, Pad: PadPolicy.Reject)));
        Assert.Contains("3 frames", e.Message);
        Assert.Contains("short.mp4", e.Message);
    }

    [Fact]
    public void BadFilesRaiseVideoReadExceptionNamingFileAndProblem()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir["empty.mp4"], []);
        File.WriteAllBytes(dir["junk.mp4"], Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray());
        Fixtures.WriteVideo(dir["good.mp4"], frames: 8);
        var good = File.ReadAllBytes(dir["good.mp4"]);
        File.WriteAllBytes(dir["truncated.mp4"], good[..(good.Length / 3)]);

        var empty = Assert.Throws<VideoReadException>(() => VideoIO.Probe(dir["empty.mp4"]));
        Assert.Contains("zero-length", empty.Message);
        Assert.Contains("empty.mp4", empty.Message);
        var junk = Assert.Throws<VideoReadException>(() => VideoIO.Read(dir["junk.mp4"], new ClipSpec(4, 16, 16)));
        Assert.Equal(dir["junk.mp4"], junk.VideoPath);
        Assert.Throws<VideoReadException>(() => VideoIO.Probe(dir["missing.mp4"]));
        Assert.Throws<VideoReadException>(() => VideoIO.Read(dir["truncated.mp4"], new ClipSpec(4, 16, 16, Pad: PadPolicy.Reject)));
    }
}
