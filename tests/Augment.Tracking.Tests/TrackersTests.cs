using Augment.Tracking;

namespace Augment.Tests.Experiments.Tracking;

public class TrackersTests
{
    [Fact]
    public void PlainPathsAndFileUrisOpenTheFileStore()
    {
        using var tmp = new TempDir();
        var plain = Assert.IsType<FileStoreTracker>(Trackers.FromUri(Path.Combine(tmp.Path, "a")));
        Assert.Equal(Path.Combine(tmp.Path, "a"), plain.Root);
        var fromUri = Assert.IsType<FileStoreTracker>(Trackers.FromUri(new Uri(Path.Combine(tmp.Path, "b c")).AbsoluteUri));
        Assert.Equal(Path.Combine(tmp.Path, "b c"), fromUri.Root);
        Assert.True(File.Exists(Path.Combine(tmp.Path, "b c", "0", "meta.yaml")));
    }

    [Fact]
    public void HttpUrisOpenTheRestTrackerWithoutContactingTheServer()
    {
        using var rest = Assert.IsType<MlflowRestTracker>(Trackers.FromUri("https://mlflow.example.org:8443/prefix"));
        Assert.Equal("https://mlflow.example.org:8443/prefix", rest.TrackingUri.AbsoluteUri);
    }

    [Fact]
    public void AnExplicitUriWinsOverTheDefaultFolder()
    {
        using var tmp = new TempDir();
        var explicitDir = Path.Combine(tmp.Path, "explicit");
        var tracker = Assert.IsType<FileStoreTracker>(Trackers.Open(explicitDir, Path.Combine(tmp.Path, "default")));
        Assert.Equal(explicitDir, tracker.Root);
        Assert.False(Directory.Exists(Path.Combine(tmp.Path, "default")));
    }

    [Theory]
    [InlineData("sqlite:///mlflow.db")]
    [InlineData("databricks://profile")]
    [InlineData("postgresql://u@h/db")]
    public void UnsupportedSchemesAreAClearError(string uri)
    {
        var e = Assert.Throws<ArgumentException>(() => Trackers.FromUri(uri));
        Assert.Contains(uri.Split(':')[0], e.Message);
        Assert.Contains("http(s)://", e.Message);
    }
}
