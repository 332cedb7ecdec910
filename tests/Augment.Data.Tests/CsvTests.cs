using Augment.Data;

namespace Augment.Tests.Data;

public class CsvTests
{
    [Theory]
    [InlineData(',')]
    [InlineData(';')]
    public void QuotedFieldsRoundTrip(char separator)
    {
        string[] fields = ["plain", "a, comma", "semi;colon", "say \"hi\"", ""];
        var line = string.Join(separator, fields.Select(Csv.Quote));
        Assert.Equal(fields, Csv.SplitLine(line, separator));
    }

    [Fact]
    public void SeparatorInsideQuotesDoesNotSplit()
    {
        Assert.Equal(["clips/a.mp4", "polyp", "a polyp, raised"], Csv.SplitLine("clips/a.mp4,polyp,\"a polyp, raised\""));
        Assert.Equal(["x.avi", "polyp;LST"], Csv.SplitLine("x.avi;\"polyp;LST\"", ';'));
    }
}
