using Augment.Data;
using System.Collections.Concurrent;
using Augment.Data.Datasets.Adapters;
using Augment.Data.Video;

namespace Augment.Data.Datasets;

/// <summary>Spec → adapter → path checks → probe → clip windows → splits → scarcity.</summary>
public static class DatasetLoader
{
    public static Dataset Load(DatasetSpec spec) => Load(spec, null);

    /// <summary>
    /// Loads a dataset. With a <paramref name="clip"/> spec whose pad policy is Reject, videos shorter than a clip are
    /// quarantined; window lengths never go below its frame count. Bad entries are quarantined with a reason, absent
    /// videos listed in <see cref="Dataset.Missing"/>; only a spec that cannot be read at all throws.
    /// </summary>
    public static Dataset Load(DatasetSpec spec, ClipSpec? clip, IProgress<(int done, int total)>? progress = null)
    {
        CheckPathKinds(spec);
        var adapted = Adapt(spec);
        var quarantined = new List<QuarantineEntry>(adapted.Quarantined);
        var notes = new List<DatasetWarning>();
        var prompts = FindPrompts(spec);
        var found = adapted.Classes is null ? MergeLabelVariants(adapted.Entries, prompts.Classes, notes) : adapted.Entries;

        // Class set: the adapter's own, else the labels found, ordered by the prompt file.
        var entries = new List<VideoEntry>();
        var restrictTo = prompts.Restricts ? prompts.Classes.Select(c => c.Name).ToHashSet(StringComparer.Ordinal) : null;
        var known = adapted.Classes?.ToHashSet(StringComparer.Ordinal) ?? restrictTo;
        foreach (var e in found)
        {
            if (known is not null && !known.Contains(e.Label))
            {
                adapted.CountUnmapped(e.Label);
                quarantined.Add(new(e.Path, At(e, $"unknown label '{e.Label}' (classes: {string.Join(", ", known.Order(StringComparer.Ordinal))})"), QuarantineKind.UnknownLabel));
            }
            else entries.Add(e);
        }
        entries = Guard(spec, entries, quarantined);
        entries = Deduplicate(spec, entries, quarantined);
        entries = FollowNamedSplits(entries, quarantined, notes);

        var infos = Probe(entries, quarantined, progress);
        var clips = new List<ClipRef>();
        var fewWindows = new List<string>();
        foreach (var e in entries)
        {
            if (!infos.TryGetValue(e.Path, out var info)) continue;
            if (clip is { Pad: PadPolicy.Reject } && info.FrameCount < clip.Frames)
            {
                quarantined.Add(new(e.Path, At(e, $"too short: {info.FrameCount} frames, a clip needs {clip.Frames} (pad policy Reject)"), QuarantineKind.Short));
                continue;
            }
            var windows = Windows(spec, e, info.FrameCount, clip?.Frames ?? 1).ToList();
            if (spec.ClipsPerVideo > 1 && windows.Count < spec.ClipsPerVideo)
                fewWindows.Add($"{Path.GetRelativePath(spec.Root, e.Path)}: {info.FrameCount} frames give {windows.Count} of {windows[0].Count}");
            foreach (var (start, count) in windows)
                clips.Add(new ClipRef(e.Path, e.Label, e.Split ?? "", e.VideoId, start, count, Group: e.Group));
        }
        if (fewWindows.Count > 0)
            notes.Add(new($"{fewWindows.Count} video(s) are too short for clips_per_video: {spec.ClipsPerVideo} windows and give fewer " +
                          $"(e.g. {fewWindows[0]} frames): those videos count less in training", Fatal: false));

        var classes = adapted.Classes?.ToList()
            ?? prompts.Classes.Select(c => c.Name).Where(n => clips.Any(c => c.Label == n))
                .Concat(clips.Select(c => c.Label).Distinct().Where(l => !prompts.Classes.Any(p => p.Name == l)).Order(StringComparer.Ordinal))
                .ToList();
        clips = AssignSplits(spec, clips);
        var keptOut = ApplyKeep(spec, classes, ref clips);

        var promptOf = prompts.Classes.ToDictionary(c => c.Name, c => c.Prompt);
        var order = classes.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        string[] splitOrder = [Splits.Train, Splits.Val, Splits.Test];
        return new Dataset
        {
            Name = spec.Name,
            Classes = classes,
            Clips = clips.OrderBy(c => Array.IndexOf(splitOrder, c.Split)).ThenBy(c => order[c.Label])
                .ThenBy(c => c.VideoId, StringComparer.Ordinal).ThenBy(c => c.Path, StringComparer.Ordinal).ThenBy(c => c.StartFrame).ToList(),
            Prompts = classes.ToDictionary(c => c, c => promptOf.GetValueOrDefault(c) ?? ClassPrompts.DefaultPrompt(c)),
            Quarantined = quarantined,
            Missing = adapted.Missing,
            Unmapped = adapted.Unmapped,
            KeptOut = keptOut,
            VideoInfos = clips.Select(c => c.Path).Distinct().ToDictionary(p => p, p => infos[p]),
            Warnings = [.. adapted.Warnings, .. notes, .. Warnings(clips, adapted)],
            Junk = adapted.Junk,
        };
    }

    /// <summary>What makes a dataset unfit for a sweep, or its numbers suspect, in words.</summary>
    static IEnumerable<DatasetWarning> Warnings(List<ClipRef> clips, AdapterResult adapted)
    {
        if (clips.Count == 0)
        {
            yield return new("no usable clips" + (adapted.Missing.Count > 0 ? $" ({adapted.Missing.Count} videos missing)" : ""), Fatal: true);
            yield break;
        }
        foreach (var split in new[] { Splits.Train, Splits.Val, Splits.Test })
            if (!clips.Any(c => c.Split == split))
                yield return new($"split '{split}' is empty: a sweep needs train, val and test clips", Fatal: true);
        var spread = clips.Where(c => c.Group is not null).GroupBy(c => c.Group!)
            .Select(g => (Group: g.Key, Splits: g.Select(c => c.Split).Distinct().Order().ToList())).Where(g => g.Splits.Count > 1).ToList();
        if (spread.Count > 0)
            yield return new($"{spread.Count} group(s) sit in more than one of the dataset's own splits (e.g. '{spread[0].Group}' in {string.Join(" and ", spread[0].Splits)}): " +
                             "clips of one patient or source on both sides of a split inflate the test scores", Fatal: true);
    }

    // A path of the wrong kind is named as such, not as "not found".
    static void CheckPathKinds(DatasetSpec spec)
    {
        foreach (var (key, path) in new[] { ("root", spec.Root), ("video_dir", spec.VideoDir) })
            if (path is not null && File.Exists(path)) throw spec.Error(key, $"{path} is a file, not a folder");
        foreach (var (key, path) in new[] { ("manifest", spec.Manifest), ("mapping", spec.Mapping), ("prompts", spec.Prompts) })
            if (path is not null && Directory.Exists(path)) throw spec.Error(key, $"{path} is a folder, not a file");
    }

    /// <summary>Class names that differ only in case or spacing ('Polyp', 'polyp', 'polyp ') are one class: merged
    /// under the name the prompts file gives, else the spelling most videos use, with a warning naming every spelling.</summary>
    static List<VideoEntry> MergeLabelVariants(List<VideoEntry> entries, IReadOnlyList<ClassPrompt> prompts, List<DatasetWarning> notes)
    {
        static string Key(string label) => string.Join(' ', label.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToLowerInvariant();
        var listed = prompts.GroupBy(p => Key(p.Name)).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);
        var rename = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variants in entries.GroupBy(e => Key(e.Label), StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var spellings = variants.GroupBy(e => e.Label, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
            var name = listed.GetValueOrDefault(variants.Key) ?? spellings[0].Key;
            if (spellings.Count == 1 && spellings[0].Key == name) continue;
            foreach (var spelling in spellings) rename[spelling.Key] = name;
            notes.Add(new($"class names {string.Join(", ", spellings.Select(g => $"'{g.Key}' ({g.Count()} videos)"))} differ only in case or spacing: merged as '{name}'", Fatal: false));
        }
        return rename.Count == 0 ? entries : entries.Select(e => rename.TryGetValue(e.Label, out var n) && n != e.Label ? e with { Label = n } : e).ToList();
    }

    static AdapterResult Adapt(DatasetSpec spec) => DatasetAdapters.Read(spec);

    /// <summary>A file of datasets/&lt;name&gt;/ as copied next to the binaries.</summary>
    public static string BundledFile(string dataset, string file) => Path.Combine(AppContext.BaseDirectory, "datasets", dataset, file);

    sealed record PromptSource(IReadOnlyList<ClassPrompt> Classes, bool Restricts);

    // spec.Prompts, else <root>/classes.yaml, else the bundled datasets/<name>/classes.yaml. A file that belongs to
    // this dataset's data (explicit or in its root) also defines which labels are valid; the bundled one, matched by
    // name only, never overrides the data's own.
    static PromptSource FindPrompts(DatasetSpec spec)
    {
        if (spec.Prompts is { } explicitFile)
        {
            if (!File.Exists(explicitFile)) throw new FileNotFoundException($"{explicitFile}: prompts file not found", explicitFile);
            return new(ClassPrompts.Load(explicitFile), true);
        }
        var inRoot = Path.Combine(spec.Root, ClassPrompts.FileName);
        if (File.Exists(inRoot)) return new(ClassPrompts.Load(inRoot), true);
        var bundled = BundledFile(spec.Name, ClassPrompts.FileName);
        if (File.Exists(bundled)) return new(ClassPrompts.Load(bundled), false);
        return new([], false);
    }

    static List<VideoEntry> Guard(DatasetSpec spec, List<VideoEntry> entries, List<QuarantineEntry> quarantined)
    {
        var roots = Roots(spec);
        var kept = new List<VideoEntry>();
        foreach (var e in entries)
        {
            if (PathGuard.Escapes(e.Path, roots) is { } why) quarantined.Add(new(e.Path, At(e, why), QuarantineKind.OutsideRoot));
            else kept.Add(e);
        }
        return kept;
    }

    static string At(VideoEntry e, string reason) => e.Where is null ? reason : $"{reason} ({e.Where})";

    static string[] Roots(DatasetSpec spec) => spec.VideoDir is { } v ? [spec.Root, v] : [spec.Root];

    // One real file listed twice (a manifest row repeated, a symlink to another file of the dataset): the entry at
    // the file's real location wins over one reached through a link, so a link cannot relabel data; else the first.
    static List<VideoEntry> Deduplicate(DatasetSpec spec, List<VideoEntry> entries, List<QuarantineEntry> quarantined)
    {
        var roots = Roots(spec);
        var winners = new HashSet<VideoEntry>(ReferenceEqualityComparer.Instance);
        foreach (var same in entries.GroupBy(e => PathGuard.RealPath(e.Path), StringComparer.Ordinal))
        {
            var list = same.ToList();
            var links = list.Count == 1 ? [] : list.Where(e => PathGuard.ThroughLink(e.Path, roots)).ToHashSet(ReferenceEqualityComparer.Instance);
            var winner = list.FirstOrDefault(e => !links.Contains(e)) ?? list[0];
            winners.Add(winner);
            foreach (var e in list.Where(e => !ReferenceEquals(e, winner)))
                quarantined.Add(links.Contains(e) && !links.Contains(winner)
                    ? e.Label == winner.Label
                        ? new(e.Path, At(e, $"symlink to {winner.Path}, which is read at its real location"), QuarantineKind.Duplicate)
                        : new(e.Path, At(e, $"symlink to {winner.Path}: labelled '{e.Label}' through the link but '{winner.Label}' at its real location, whose label is used"), QuarantineKind.LabelConflict)
                    : e.Label == winner.Label
                        ? new(e.Path, At(e, $"duplicate entry (already listed as '{winner.Label}')"), QuarantineKind.Duplicate)
                        : new(e.Path, At(e, $"duplicate entry with a conflicting label '{e.Label}' (already listed as '{winner.Label}')"), QuarantineKind.LabelConflict));
        }
        return DeduplicateContent(entries.Where(winners.Contains).ToList(), quarantined);
    }

    /// <summary>Rows of one video, and videos of one group, share a split: those without one take the split the
    /// others name (a seeded split could put them on the other side). A video whose rows name different splits is set
    /// aside and reported as fatal; a group's are left to the group-across-splits warning.</summary>
    static List<VideoEntry> FollowNamedSplits(List<VideoEntry> entries, List<QuarantineEntry> quarantined, List<DatasetWarning> notes)
    {
        static bool Named(string? split) => split is Splits.Train or Splits.Val or Splits.Test;
        static List<string> NamedSplits(IEnumerable<VideoEntry> rows) => rows.Where(e => Named(e.Split)).Select(e => e.Split!).Distinct().Order(StringComparer.Ordinal).ToList();

        var conflicts = entries.GroupBy(e => e.VideoId, StringComparer.Ordinal).Where(g => NamedSplits(g).Count > 1).ToList();
        foreach (var video in conflicts)
        {
            var named = string.Join(", ", video.Where(e => Named(e.Split)).Select(e => $"{e.Split} at {e.Where ?? e.Path}"));
            foreach (var e in video)
                quarantined.Add(new(e.Path, At(e, $"video_id '{video.Key}' is put in different splits by its rows ({named}): set aside"), QuarantineKind.SplitConflict));
        }
        if (conflicts.Count > 0)
            notes.Add(new($"{conflicts.Count} video(s) have rows naming different splits (e.g. '{conflicts[0].Key}' in {string.Join(" and ", NamedSplits(conflicts[0]))}): " +
                          "set aside; give each video_id one split", Fatal: true));
        var bad = conflicts.Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        var kept = entries.Where(e => !bad.Contains(e.VideoId)).ToList();

        int followed = 0;
        foreach (var unit in new Func<VideoEntry, string?>[] { e => e.VideoId, e => e.Group })
        {
            var splitOf = kept.Where(e => unit(e) is not null).GroupBy(e => unit(e)!, StringComparer.Ordinal)
                .Select(g => (g.Key, Splits: NamedSplits(g))).Where(g => g.Splits.Count == 1).ToDictionary(g => g.Key, g => g.Splits[0], StringComparer.Ordinal);
            for (int i = 0; i < kept.Count; i++)
                if (!Named(kept[i].Split) && unit(kept[i]) is { } u && splitOf.TryGetValue(u, out var split))
                {
                    kept[i] = kept[i] with { Split = split };
                    followed++;
                }
        }
        if (followed > 0)
            notes.Add(new($"{followed} row(s) without a split took the split other rows of their video or group name", Fatal: false));
        return kept;
    }

    // The same video copied under two names (or two classes) would leak between splits. Only files of equal size are
    // hashed, so this costs almost nothing on real data. A file that cannot be read is quarantined here, not fatal.
    static List<VideoEntry> DeduplicateContent(List<VideoEntry> entries, List<QuarantineEntry> quarantined)
    {
        var drop = new HashSet<VideoEntry>();
        var sizes = new Dictionary<VideoEntry, long>();
        foreach (var e in entries.Where(e => File.Exists(e.Path)))
        {
            try { sizes[e] = new FileInfo(e.Path).Length; }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { Unreadable(e, ex); }
        }
        foreach (var group in sizes.GroupBy(kv => kv.Value, kv => kv.Key).Where(g => g.Count() > 1 && g.Key > 0))
        {
            var hashes = new List<(VideoEntry Entry, string Hash)>();
            foreach (var e in group)
            {
                try { hashes.Add((e, FileHash.Sha256(e.Path))); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { Unreadable(e, ex); }
            }
            foreach (var copies in hashes.GroupBy(h => h.Hash, h => h.Entry).Where(g => g.Count() > 1))
                foreach (var copy in copies.Skip(1))
                {
                    drop.Add(copy);
                    var original = copies.First();
                    quarantined.Add(original.Label == copy.Label
                        ? new(copy.Path, $"duplicate entry: same content as {original.Path}", QuarantineKind.Duplicate)
                        : new(copy.Path, $"duplicate entry: same content as {original.Path}, which is labelled '{original.Label}' not '{copy.Label}'", QuarantineKind.LabelConflict));
                }
        }
        return entries.Where(e => !drop.Contains(e)).ToList();

        void Unreadable(VideoEntry e, Exception ex)
        {
            drop.Add(e);
            quarantined.Add(ex is UnauthorizedAccessException
                ? new(e.Path, "permission denied: the file cannot be read", QuarantineKind.PermissionDenied)
                : ex.Message.Contains("symbolic links", StringComparison.OrdinalIgnoreCase)
                    ? new(e.Path, "symlink loop: the link never reaches a file", QuarantineKind.SymlinkLoop)
                    : new(e.Path, $"cannot be read: {ex.Message}", QuarantineKind.Unreadable));
        }
    }

    static Dictionary<string, VideoInfo> Probe(List<VideoEntry> entries, List<QuarantineEntry> quarantined, IProgress<(int, int)>? progress)
    {
        var infos = new ConcurrentDictionary<string, VideoInfo>(StringComparer.Ordinal);
        var bad = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        int done = 0;
        progress?.Report((0, entries.Count));
        Parallel.ForEach(entries, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, e =>
        {
            try
            {
                var info = VideoIO.Probe(e.Path);
                if (info.FrameCount <= 0) bad[e.Path] = "no frames";
                else infos[e.Path] = info;
            }
            catch (VideoReadException ex) { bad[e.Path] = Denied(e.Path) ?? NotVideo(e.Path) ?? ex.Problem; }
            catch (UnauthorizedAccessException) { bad[e.Path] = "permission denied: the file cannot be read"; }
            catch (Exception ex) when (ex is IOException or OpenCvSharp.OpenCVException)
            {
                bad[e.Path] = Denied(e.Path) ?? $"unreadable: {ex.Message}";
            }
            progress?.Report((Interlocked.Increment(ref done), entries.Count));
        });
        foreach (var e in entries)
            if (bad.TryGetValue(e.Path, out var why))
                quarantined.Add(new(e.Path, At(e, why),
                    why.StartsWith("permission denied") ? QuarantineKind.PermissionDenied
                    : why.StartsWith("not a video") ? QuarantineKind.NotVideo
                    : !File.Exists(e.Path) && !Directory.Exists(e.Path) ? QuarantineKind.Missing
                    : QuarantineKind.Unreadable));
        return new Dictionary<string, VideoInfo>(infos, StringComparer.Ordinal);
    }

    // Why a video that failed to open is really a permission problem (OpenCV only says it cannot open it, and a file
    // in a folder without execute permission looks absent), or null.
    static string? Denied(string path)
    {
        try
        {
            if ((File.GetAttributes(path) & FileAttributes.Directory) != 0) Directory.EnumerateFileSystemEntries(path).Any();
            else File.OpenRead(path).Dispose();
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return File.Exists(path) ? "permission denied: the file cannot be read"
                : Directory.Exists(path) ? "permission denied: the folder cannot be listed"
                : "permission denied: a folder on its path cannot be entered";
        }
        catch (IOException) { return null; }
    }

    // A file that is there but is no video container (a manifest row naming notes.txt), or null.
    static string? NotVideo(string path) =>
        File.Exists(path) && !Layout.IsVideo(path) ? $"not a video file ('{Path.GetExtension(path)}')" : null;

    /// <summary>Clip windows of one video: the whole video, or ClipsPerVideo windows at seeded offsets inside equal parts.</summary>
    static IEnumerable<(int Start, int Count)> Windows(DatasetSpec spec, VideoEntry e, int frames, int minLength)
    {
        if (spec.ClipsPerVideo <= 1 && spec.WindowFrames <= 0) return [(0, -1)];
        int k = Math.Max(1, spec.ClipsPerVideo);
        int length = spec.WindowFrames > 0 ? spec.WindowFrames : frames / k;
        length = Math.Min(frames, Math.Max(length, minLength));
        k = Math.Min(k, Math.Max(1, frames / Math.Max(1, length)));
        int part = frames / k;
        // Relative names only, so the same seed cuts the same windows wherever the dataset is stored.
        var rng = Seeds.Random(spec.Seed, $"windows/{e.VideoId}/{Path.GetFileName(e.Path)}");
        var windows = new List<(int, int)>();
        for (int i = 0; i < k; i++)
            windows.Add((i * part + rng.Next(Math.Max(0, part - length) + 1), length));
        return windows;
    }

    /// <summary>Keeps the dataset's own splits; clips without one (or in a "train+val" pool) get a seeded split,
    /// stratified by class and grouped by split unit (a group when the adapter found one, else a video), so no
    /// patient or video sits on two sides. A unit is stratified by the class most of its clips have.</summary>
    static List<ClipRef> AssignSplits(DatasetSpec spec, List<ClipRef> clips)
    {
        var result = clips.Where(c => c.Split is Splits.Train or Splits.Val or Splits.Test).ToList();
        foreach (var pool in clips.Where(c => c.Split is not (Splits.Train or Splits.Val or Splits.Test)).GroupBy(c => c.Split))
        {
            bool withTest = pool.Key != "train+val";
            var units = pool.GroupBy(c => c.SplitUnit)
                .Select(g => (Unit: g.Key, Class: g.GroupBy(c => c.Label).OrderByDescending(l => l.Count()).ThenBy(l => l.Key, StringComparer.Ordinal).First().Key))
                .ToList();
            var splitOf = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var byClass in units.GroupBy(u => u.Class).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var list = byClass.Select(u => u.Unit).Order(StringComparer.Ordinal).ToList();
                Stats.Shuffle(list, Seeds.Random(spec.Seed, $"split/{pool.Key}/{byClass.Key}"));
                int n = list.Count;
                int nTest = withTest && spec.TestFraction > 0 && n >= 2 ? Math.Max(1, (int)Math.Round(n * spec.TestFraction)) : 0;
                int nVal = spec.ValFraction > 0 && n - nTest >= 2 ? Math.Max(1, (int)Math.Round(n * spec.ValFraction)) : 0;
                for (int i = 0; i < n; i++) splitOf[list[i]] = i < nTest ? Splits.Test : i < nTest + nVal ? Splits.Val : Splits.Train;
            }
            result.AddRange(pool.Select(c => c with { Split = splitOf[c.SplitUnit] }));
        }
        return result;
    }

    /// <summary>Scarcity: keeps exactly N training clips of a class (whole videos first, seeded); returns how many went.</summary>
    static Dictionary<string, int> ApplyKeep(DatasetSpec spec, List<string> classes, ref List<ClipRef> clips)
    {
        var keptOut = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (cls, n) in spec.Keep)
        {
            if (!classes.Contains(cls))
                throw new DatasetSpecException(spec.Where($"keep.{cls}"), 0, $"keep.{cls}", $"dataset '{spec.Name}' has no such class (classes: {string.Join(", ", classes)})");
            var train = clips.Where(c => c.Split == Splits.Train && c.Label == cls).ToList();
            if (train.Count <= n) { keptOut[cls] = 0; continue; }
            var videos = train.GroupBy(c => c.VideoId).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.OrderBy(c => c.StartFrame).ToList()).ToList();
            Stats.Shuffle(videos, Seeds.Random(spec.Seed, $"keep/{cls}"));
            var keep = new HashSet<ClipRef>();
            foreach (var video in videos)
            {
                if (keep.Count + video.Count <= n) keep.UnionWith(video);
                if (keep.Count == n) break;
            }
            // No combination of whole videos hits N exactly: top up with the first clips of the next videos.
            foreach (var c in videos.SelectMany(v => v))
            {
                if (keep.Count == n) break;
                keep.Add(c);
            }
            keptOut[cls] = train.Count - n;
            clips = clips.Where(c => !(c.Split == Splits.Train && c.Label == cls) || keep.Contains(c)).ToList();
        }
        return keptOut;
    }

}
