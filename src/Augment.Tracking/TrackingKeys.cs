namespace Augment.Tracking;

/// <summary>
/// MLflow's rules for param, metric and tag names. The file store turns names into file paths, so a name must map to
/// exactly one path inside the run folder; the server enforces the same rules, so checking here fails early either way.
/// </summary>
public static class TrackingKeys
{
    public const int MaxKeyLength = 250;

    /// <summary>Throws ArgumentException naming the key unless it is alphanumerics, _ - . space and / with no empty, '.' or '..' segment.</summary>
    public static void Validate(string key, string kind)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length == 0)
            throw new ArgumentException($"Invalid {kind} name '': names must not be empty.", nameof(key));
        if (key.Length > MaxKeyLength)
            throw new ArgumentException($"Invalid {kind} name '{key}': longer than {MaxKeyLength} characters.", nameof(key));
        foreach (var c in key)
            if (!(char.IsLetterOrDigit(c) || c is '_' or '-' or '.' or ' ' or '/'))
                throw new ArgumentException(
                    $"Invalid {kind} name '{key}': character '{c}' not allowed. Names may only contain alphanumerics, " +
                    "underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).", nameof(key));
        // MLflow rejects names that os.path.normpath would change: '/x', 'x/', 'a//b', './a', 'a/../b'.
        if (key.Split('/').Any(segment => segment is "" or "." or ".."))
            throw new ArgumentException(
                $"Invalid {kind} name '{key}': it would not map to a single file inside the run folder " +
                "(no leading or trailing '/', no '//', no '.' or '..' segments).", nameof(key));
    }
}
