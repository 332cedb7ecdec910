using System.Globalization;
using System.Text;
using Augment.Data;

namespace Augment.Classifier;

/// <summary>One scored window: its video, where it starts, the true label and the class probabilities.</summary>
public sealed record Prediction(string Video, int StartFrame, string Path, string Label, string Predicted, IReadOnlyDictionary<string, double> Scores);

/// <summary>
/// The predictions.csv format, written and read here only: one row per window (video,start_frame,path,label,predicted,
/// score_&lt;class&gt;…). Files written before videos were recorded have no video column: each path is then its own video.
/// </summary>
public static class PredictionsCsv
{
    public const string FileName = ResultFiles.PredictionsCsv;

    public static void Write(string path, IReadOnlyList<string> classes, IReadOnlyList<ClipRef> clips, int[] labels, float[][] scores)
    {
        // One row per window; video and start_frame say which video it belongs to, so readers can score per video.
        var csv = new StringBuilder();
        csv.Append("video,start_frame,path,label,predicted");
        foreach (var c in classes) csv.Append(",score_").Append(Csv.Quote(c));
        csv.Append('\n');
        for (int i = 0; i < clips.Count; i++)
        {
            csv.Append(Csv.Quote(clips[i].VideoId)).Append(',').Append(clips[i].StartFrame.ToString(CultureInfo.InvariantCulture)).Append(',')
               .Append(Csv.Quote(clips[i].Path)).Append(',').Append(Csv.Quote(classes[labels[i]])).Append(',').Append(Csv.Quote(classes[Metrics.ArgMax(scores[i])]));
            foreach (var s in scores[i]) csv.Append(',').Append(s.ToString("0.######", CultureInfo.InvariantCulture));
            csv.Append('\n');
        }
        AtomicFile.WriteAllText(path, csv.ToString());
    }

    public static IReadOnlyList<Prediction> Read(string path)
    {
        using var reader = new StreamReader(path);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{path}: empty file");
        var columns = Csv.SplitLine(header);
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
            var cells = Csv.SplitLine(text);
            if (cells.Count < columns.Count)
                throw new InvalidDataException($"{path}:{line}: {cells.Count} fields, header has {columns.Count}");
            var scores = scoreCols.ToDictionary(s => s.c["score_".Length..], s => double.Parse(cells[s.i], CultureInfo.InvariantCulture));
            rows.Add(new Prediction(videoCol >= 0 ? cells[videoCol] : cells[pathCol], startCol >= 0 ? int.Parse(cells[startCol], CultureInfo.InvariantCulture) : 0,
                cells[pathCol], cells[labelCol], cells[predCol], scores));
        }
        return rows;
    }

    /// <summary>
    /// One prediction per video, as the classifier's own per-video metrics make it (<see cref="Metrics.AverageByVideo"/>).
    /// Without scores, the windows' majority vote.
    /// </summary>
    public static IReadOnlyDictionary<string, (string Label, string Predicted)> PerVideo(IReadOnlyList<Prediction> windows)
    {
        if (windows.Count == 0) return new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        var classes = windows[0].Scores.Keys.ToList();
        if (classes.Count == 0)
            return windows.GroupBy(w => w.Video).ToDictionary(g => g.Key, g => (g.First().Label,
                g.GroupBy(w => w.Predicted).OrderByDescending(v => v.Count()).ThenBy(v => v.Key, StringComparer.Ordinal).First().Key), StringComparer.Ordinal);
        var videos = Metrics.AverageByVideo(windows.Select(w => w.Video).ToList(), windows.Select(w => classes.Select(c => (float)w.Scores[c]).ToArray()).ToList());
        return videos.ToDictionary(v => v.Video, v => (windows[v.FirstWindow].Label, classes[Metrics.ArgMax(v.Mean)]), StringComparer.Ordinal);
    }
}
