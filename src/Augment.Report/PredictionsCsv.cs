namespace Augment.Report;

/// <summary>One scored window: its video, where it starts, the true label and the class probabilities.</summary>
public sealed record Prediction(string Video, int StartFrame, string Path, string Label, string Predicted, IReadOnlyDictionary<string, double> Scores);

/// <summary>
/// Reads a classifier's predictions.csv (video,start_frame,path,label,predicted,score_&lt;class&gt;…). Files written
/// before videos were recorded have no video column: each path is then its own video.
/// </summary>
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
        int videoCol = columns.IndexOf("video"), startCol = columns.IndexOf("start_frame");
        var scoreCols = columns.Select((c, i) => (c, i)).Where(x => x.c.StartsWith("score_", StringComparison.Ordinal)).ToList();

        var rows = new List<Prediction>();
        int line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue;
            var cells = Augment.Data.Csv.SplitLine(text);
            if (cells.Count < columns.Count)
                throw new InvalidDataException($"{path}:{line}: {cells.Count} fields, header has {columns.Count}");
            var scores = scoreCols.ToDictionary(s => s.c["score_".Length..], s => double.Parse(cells[s.i], System.Globalization.CultureInfo.InvariantCulture));
            rows.Add(new Prediction(videoCol >= 0 ? cells[videoCol] : cells[pathCol], startCol >= 0 ? int.Parse(cells[startCol], System.Globalization.CultureInfo.InvariantCulture) : 0,
                cells[pathCol], cells[labelCol], cells[predCol], scores));
        }
        return rows;
    }

    /// <summary>
    /// One prediction per video: window probabilities averaged (MMAction2's average_clips='prob'), the class with the
    /// highest mean is the video's prediction. Without scores, the windows' majority vote.
    /// </summary>
    public static IReadOnlyDictionary<string, (string Label, string Predicted)> PerVideo(IReadOnlyList<Prediction> windows) =>
        windows.GroupBy(w => w.Video).ToDictionary(g => g.Key, g =>
        {
            var first = g.First();
            string predicted = first.Scores.Count > 0
                ? first.Scores.Keys.MaxBy(c => g.Average(w => w.Scores[c]))!
                : g.GroupBy(w => w.Predicted).OrderByDescending(v => v.Count()).ThenBy(v => v.Key, StringComparer.Ordinal).First().Key;
            return (first.Label, predicted);
        }, StringComparer.Ordinal);
}
