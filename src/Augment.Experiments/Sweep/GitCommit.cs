namespace Augment.Experiments.Sweep;

/// <summary>The commit a sweep ran from, read from .git files (no git process): recorded with every tracked run.</summary>
public static class GitCommit
{
    public const string Unknown = "unknown";

    public static string Read(string startDir)
    {
        try
        {
            for (var dir = new DirectoryInfo(Path.GetFullPath(startDir)); dir is not null; dir = dir.Parent)
            {
                var dotGit = Path.Combine(dir.FullName, ".git");
                if (Directory.Exists(dotGit)) return Resolve(dotGit, dotGit);
                if (File.Exists(dotGit))
                {
                    // A worktree: ".git" is a file "gitdir: <path>"; shared refs live in the common dir it names.
                    var gitDir = File.ReadAllText(dotGit).Trim();
                    if (!gitDir.StartsWith("gitdir:", StringComparison.Ordinal)) return Unknown;
                    gitDir = Path.GetFullPath(Path.Combine(dir.FullName, gitDir["gitdir:".Length..].Trim()));
                    var commonFile = Path.Combine(gitDir, "commondir");
                    var common = File.Exists(commonFile) ? Path.GetFullPath(Path.Combine(gitDir, File.ReadAllText(commonFile).Trim())) : gitDir;
                    return Resolve(gitDir, common);
                }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Unknown;
    }

    static string Resolve(string gitDir, string commonDir)
    {
        var head = File.ReadAllText(Path.Combine(gitDir, "HEAD")).Trim();
        if (!head.StartsWith("ref:", StringComparison.Ordinal)) return IsHash(head) ? head : Unknown;
        var reference = head["ref:".Length..].Trim();
        foreach (var dir in new[] { gitDir, commonDir })
        {
            var file = Path.Combine(dir, reference);
            if (File.Exists(file) && File.ReadAllText(file).Trim() is var hash && IsHash(hash)) return hash;
        }
        var packed = Path.Combine(commonDir, "packed-refs");
        if (File.Exists(packed))
            foreach (var line in File.ReadLines(packed))
                if (line.EndsWith(" " + reference, StringComparison.Ordinal) && line.Split(' ')[0] is var hash && IsHash(hash)) return hash;
        return Unknown;
    }

    static bool IsHash(string s) => s.Length is 40 or 64 && s.All(char.IsAsciiHexDigit);
}
