namespace Augment.Experiments.Report;

/// <summary>One test clip's true and predicted label, as the classifier wrote it in predictions.csv.</summary>
public sealed record Prediction(string Path, string Label, string Predicted);

/// <summary>Reads the path, label and predicted columns of a classifier's predictions.csv (other columns are scores).</summary>
public static class PredictionsCsv
{
    public const string FileName = "predictions.csv";

    public static IReadOnlyList<Prediction> Read(string path)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{path}: empty file");
        var columns = Augment.Data.Csv.SplitLine(header);
        int Column(string name) => columns.IndexOf(name) is var i and >= 0 ? i
            : throw new InvalidDataException($"{path}: no '{name}' column (header: {header})");
        int pathCol = Column("path"), labelCol = Column("label"), predCol = Column("predicted");

        var rows = new List<Prediction>();
        int line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue;
            var cells = Augment.Data.Csv.SplitLine(text);
            if (cells.Count < columns.Count)
                throw new InvalidDataException($"{path}:{line}: {cells.Count} fields, header has {columns.Count}");
            rows.Add(new Prediction(cells[pathCol], cells[labelCol], cells[predCol]));
        }
        return rows;
    }
}
