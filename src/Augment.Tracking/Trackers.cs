namespace Augment.Tracking;

/// <summary>Picks the tracking backend from a URI, the way MLflow clients do.</summary>
public static class Trackers
{
    public const string TrackingUriVariable = "MLFLOW_TRACKING_URI";

    /// <summary>
    /// The tracker for <paramref name="trackingUri"/>, else the MLFLOW_TRACKING_URI environment variable, else
    /// <paramref name="defaultDir"/>: http(s):// → MLflow server (REST), file:// or a plain path → MLflow file store.
    /// </summary>
    public static IExperimentTracker Open(string? trackingUri, string defaultDir) => FromUri(ResolveUri(trackingUri, defaultDir));

    /// <summary>
    /// <see cref="Open"/>, then, for a server, one request without retries: a URI that cannot work fails here, before
    /// any data is rendered or anything trains, with a <see cref="TrackingUnavailableException"/> (a file store is
    /// checked by opening it: its folder is created).
    /// </summary>
    public static IExperimentTracker OpenChecked(string? trackingUri, string defaultDir)
    {
        var tracker = Open(trackingUri, defaultDir);
        if (tracker is not MlflowRestTracker rest) return tracker;
        try
        {
            rest.CheckReachable();
        }
        catch
        {
            rest.Dispose();
            throw;
        }
        return tracker;
    }

    /// <summary>The URI <see cref="Open"/> uses, for telling the user where runs go.</summary>
    public static string ResolveUri(string? trackingUri, string defaultDir) =>
        NonBlank(trackingUri) ?? NonBlank(Environment.GetEnvironmentVariable(TrackingUriVariable)) ?? defaultDir;

    public static IExperimentTracker FromUri(string uri)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(uri);
        if (uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            return new MlflowRestTracker(uri);
        if (uri.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
            return new FileStoreTracker(FileStoreFormat.LocalPathOf(uri)
                ?? throw new ArgumentException($"Tracking URI '{uri}' is not a valid file:// URI (use file:///absolute/path).", nameof(uri)));
        // A scheme is letters, digits, + - . before ':'; one letter before ':' is a Windows drive, not a scheme.
        var colon = uri.IndexOf(':');
        if (colon > 1 && uri[..colon].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '-' or '.'))
            throw new ArgumentException(
                $"Tracking URI '{uri}' uses the '{uri[..colon]}' scheme, which Augment does not support: use a folder " +
                "(MLflow file store), file:///path, or http(s)://host:port of an MLflow tracking server.", nameof(uri));
        return new FileStoreTracker(uri);
    }

    static string? NonBlank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
