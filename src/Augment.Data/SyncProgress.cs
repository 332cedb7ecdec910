namespace Augment.Data;

/// <summary>
/// Reports on the caller's thread, unlike <see cref="Progress{T}"/>, which posts to the thread pool: a progress bar or
/// a tracker sees every report in order while a synchronous library call runs.
/// </summary>
public sealed class SyncProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
