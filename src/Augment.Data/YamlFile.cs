using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Augment.Data;

/// <summary>Malformed YAML, located: the file and the line where parsing stopped.</summary>
public sealed class YamlFileException(string file, long line, string problem)
    : FormatException($"{file}:{line}: {problem}")
{
    public string File { get; } = file;
    public long Line { get; } = line;
    public string Problem { get; } = problem;
}

/// <summary>
/// Loads YAML so that every syntax error reads "file:line: problem". YamlDotNet reports most errors as YamlException
/// with a position, but some malformed flow collections ("adapter: [folder") surface as a bare
/// InvalidOperationException from its scanner; for those the line of the last token that did scan is given.
/// </summary>
public static class YamlFile
{
    public static YamlStream Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>As <see cref="Load"/>, for data files whose callers expect InvalidDataException.</summary>
    public static YamlStream LoadData(string path)
    {
        try { return Load(path); }
        catch (YamlFileException e) { throw new InvalidDataException(e.Message, e); }
    }

    public static YamlStream Parse(string yaml, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
            return stream;
        }
        catch (YamlException e)
        {
            throw new YamlFileException(source, e.Start.Line, e.InnerException?.Message ?? e.Message);
        }
        catch (InvalidOperationException e)
        {
            throw new YamlFileException(source, LastScannedLine(yaml), $"malformed YAML (unclosed bracket or quote?): {e.Message}");
        }
    }

    static long LastScannedLine(string yaml)
    {
        var scanner = new Scanner(new StringReader(yaml));
        long line = 1;
        try
        {
            while (scanner.MoveNext()) line = scanner.Current!.End.Line;
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            // The scanner stops where the document stops making sense: the line reached so far is the answer.
        }
        return line;
    }
}
