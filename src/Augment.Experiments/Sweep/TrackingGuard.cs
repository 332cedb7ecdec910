namespace Augment.Experiments.Sweep;

/// <summary>
/// Tracking calls that cannot fail a cell or stop the sweep: the first call that throws (after the client's own
/// retries) is kept as <see cref="Error"/> and later calls through the same guard are skipped, so a server that stays
/// down costs one retry budget, not one per epoch. The local files remain the record; the next sweep backfills the
/// tracker from them.
/// </summary>
sealed class TrackingGuard(SweepTracking? tracking, string? unavailable)
{
    /// <summary>Why calls through this guard were not all made; null while every call has gone through.</summary>
    public string? Error { get; private set; } = tracking is null ? unavailable : null;

    public bool Try(Action<SweepTracking> call)
    {
        if (tracking is null || Error is not null) return false;
        try
        {
            call(tracking);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Error = e.Message;
            return false;
        }
    }
}
