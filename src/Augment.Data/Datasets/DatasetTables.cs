using System.Text;

namespace Augment.Data.Datasets;

/// <summary>Counts of one split × class.</summary>
public sealed record SplitClassCount(string Split, string Class, int Clips, int Videos);

/// <summary>min / median / max of a quantity over the dataset's videos.</summary>
public sealed record Range3(double Min, double Median, double Max);

/// <summary>What `augment datasets stats` reports (also its --json output).</summary>
public sealed record DatasetStats(
    string Name, IReadOnlyList<string> Classes, int Clips, int Videos, IReadOnlyList<SplitClassCount> Counts,
    Range3? Frames, Range3? Fps, IReadOnlyDictionary<string, int> Sizes, int Quarantined, int Missing,
    IReadOnlyDictionary<string, int> Unmapped, IReadOnlyDictionary<string, int> KeptOut);

/// <summary>One line of quarantine.csv: something the loader could not use, and why.</summary>
public sealed record QuarantineRow(string Kind, string Path, string Reason);

/// <summary>Tables and files that describe a loaded dataset.</summary>
public static class DatasetTables
{
    public static IReadOnlyList<SplitClassCount> Counts(Dataset data) =>
        (from split in new[] { Splits.Train, Splits.Val, Splits.Test }
         from cls in data.Classes
         let clips = data.Clips.Where(c => c.Split == split && c.Label == cls).ToList()
         select new SplitClassCount(split, cls, clips.Count, clips.Select(c => c.VideoId).Distinct().Count())).ToList();

    public static DatasetStats Stats(Dataset data)
    {
        var infos = data.VideoInfos.Values.ToList();
        return new DatasetStats(
            data.Name, data.Classes, data.Clips.Count, data.Clips.Select(c => c.VideoId).Distinct().Count(), Counts(data),
            Summarise(infos.Select(i => (double)i.FrameCount)), Summarise(infos.Select(i => i.Fps)),
            infos.GroupBy(i => $"{i.Width}x{i.Height}").OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Count()),
            data.Quarantined.Count, data.Missing.Count, data.Unmapped, data.KeptOut);
    }

    /// <summary>Quarantined entries then missing videos.</summary>
    public static IReadOnlyList<QuarantineRow> QuarantineRows(Dataset data) =>
        data.Quarantined.Select(q => new QuarantineRow(q.Kind, q.Path, q.Reason))
            .Concat(data.Missing.Select(m => new QuarantineRow(QuarantineKind.Missing, m, "video file not found")))
            .ToList();

    /// <summary>Writes quarantine.csv at <paramref name="csvPath"/> and the same rows as JSON beside it.</summary>
    public static void WriteQuarantine(Dataset data, string csvPath)
    {
        var rows = QuarantineRows(data);
        var sb = new StringBuilder("kind,path,reason\n");
        foreach (var r in rows) sb.Append($"{Csv.Quote(r.Kind)},{Csv.Quote(r.Path)},{Csv.Quote(r.Reason)}\n");
        AtomicFile.WriteAllText(csvPath, sb.ToString());
        AtomicFile.WriteJson(Path.ChangeExtension(csvPath, ".json"), new { dataset = data.Name, rows, unmapped = data.Unmapped });
    }

    static Range3? Summarise(IEnumerable<double> values)
    {
        var v = values.Order().ToList();
        return v.Count == 0 ? null : new Range3(v[0], Augment.Data.Stats.Median(v), v[^1]);
    }

}
