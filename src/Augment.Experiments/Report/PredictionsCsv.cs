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
        var columns = SplitLine(header);
        int Column(string name) => columns.IndexOf(name) is var i and >= 0 ? i
            : throw new InvalidDataException($"{path}: no '{name}' column (header: {header})");
        int pathCol = Column("path"), labelCol = Column("label"), predCol = Column("predicted");

        var rows = new List<Prediction>();
        int line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue;
            var cells = SplitLine(text);
            if (cells.Count < columns.Count)
                throw new InvalidDataException($"{path}:{line}: {cells.Count} fields, header has {columns.Count}");
            rows.Add(new Prediction(cells[pathCol], cells[labelCol], cells[predCol]));
        }
        return rows;
    }

    // RFC 4180 fields: commas inside double quotes, "" for a quote.
    static List<string> SplitLine(string line)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields;
    }
}
