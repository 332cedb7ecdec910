using Augment.Data;
using Augment.Data.Video;

namespace Augment.Generator.Backends;

/// <summary>One row of an import manifest.</summary>
public sealed record ImportedClip(string Path, string Label, string? Prompt, long? Seed, int Line);

/// <summary>
/// Clips made elsewhere (e.g. the official MedGen or HunyuanVideo pipelines on a GPU cluster): a folder plus a CSV
/// <c>path,label[,prompt,seed]</c> (a header row starting with "path" is optional). Paths are relative to the CSV's
/// folder and may not leave it. Clips of a class are taken in CSV order and re-encoded to the dataset clip size; the gate
/// then judges them like native ones. An unreadable video is recorded as failed and the run goes on.
/// </summary>
public sealed class ImportGenerator : IVideoGenerator
{
    readonly List<ImportedClip> rows;

    public ImportGenerator(string name, string manifestCsv)
    {
        Name = name;
        if (!File.Exists(manifestCsv)) throw new FileNotFoundException($"{manifestCsv}: import manifest not found", manifestCsv);
        rows = Parse(manifestCsv);
        CheckpointHash = FileHash.Short(manifestCsv);
    }

    public string Name { get; }
    public string CheckpointHash { get; }
    public IReadOnlyList<ImportedClip> Rows => rows;

    public GenerationResult Generate(GenerationRequest request, IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        var unknown = rows.Where(r => !request.Dataset.Classes.Contains(r.Label)).ToList();
        if (unknown.Count > 0)
            throw new InvalidDataException($"import manifest line {unknown[0].Line}: label '{unknown[0].Label}' is not a class of dataset '{request.Dataset.Name}' ({string.Join(", ", request.Dataset.Classes)})");
        var byLabel = rows.GroupBy(r => r.Label).ToDictionary(g => g.Key, g => g.ToList());
        // Take what the folder has: a class with fewer imported clips than asked gets all of them.
        var perClass = request.PerClass.ToDictionary(kv => kv.Key, kv => Math.Min(kv.Value, byLabel.GetValueOrDefault(kv.Key)?.Count ?? 0));
        return GenerationRun.Execute(this, request with { PerClass = perClass }, ClipSettings.None,
            job => VideoIO.Read(byLabel[job.Label][job.Index].Path, request.Spec), progress, cancel,
            job =>
            {
                var row = byLabel[job.Label][job.Index];
                return job with { Prompt = row.Prompt ?? job.Prompt, Seed = row.Seed ?? 0 };
            });
    }

    static List<ImportedClip> Parse(string csv)
    {
        var folder = Path.GetFullPath(Path.GetDirectoryName(Path.GetFullPath(csv))!);
        var list = new List<ImportedClip>();
        int line = 0;
        foreach (var text in File.ReadLines(csv))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var fields = Csv.SplitLine(text);
            if (line == 1 && fields[0].Trim().Equals("path", StringComparison.OrdinalIgnoreCase)) continue;
            string Where() => $"{csv}:{line}";
            if (fields.Count < 2 || fields[0].Trim() == "" || fields[1].Trim() == "")
                throw new InvalidDataException($"{Where()}: expected path,label[,prompt,seed]");
            var relative = fields[0].Trim();
            if (Path.IsPathRooted(relative)) throw new InvalidDataException($"{Where()}: '{relative}' is absolute; paths must be relative to the manifest's folder");
            var full = Path.GetFullPath(Path.Combine(folder, relative));
            if (!full.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new InvalidDataException($"{Where()}: '{relative}' leaves the manifest's folder");
            if (!File.Exists(full)) throw new InvalidDataException($"{Where()}: '{relative}' does not exist");
            long? seed = null;
            if (fields.Count > 3 && fields[3].Trim() != "")
                seed = long.TryParse(fields[3].Trim(), out var s) ? s : throw new InvalidDataException($"{Where()}: seed '{fields[3]}' is not an integer");
            list.Add(new ImportedClip(full, fields[1].Trim(), fields.Count > 2 ? fields[2].Trim() : null, seed, line));
        }
        if (list.Count == 0) throw new InvalidDataException($"{csv}: no clips listed");
        return list;
    }
}
