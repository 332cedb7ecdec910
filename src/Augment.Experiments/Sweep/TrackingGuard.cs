namespace Augment.Experiments.Sweep;

/// <summary>
/// One stream of tracking calls (a cell's, the backfills', the parent run's) that cannot fail a cell or stop the sweep.
/// The calls are made in order on the sweep's tracking thread (<see cref="TrackingQueue"/>); the first call that throws
/// (after the client's own retries) is kept as <see cref="Error"/> and later calls through the same guard are skipped,
/// so a server that stays down costs one retry budget, not one per epoch. The local files remain the record; the next
/// sweep backfills the tracker from them.
/// </summary>
sealed class TrackingGuard
{
    readonly TrackingQueue queue;
    volatile string? error;

    internal TrackingGuard(TrackingQueue queue)
    {
        this.queue = queue;
        error = queue.Tracking is null ? queue.Unavailable : null;
    }

    /// <summary>Why calls through this guard were not all made; null while every call has gone through. Complete once
    /// the guard is drained.</summary>
    public string? Error => error;

    /// <summary>
    /// The run this guard's calls log to: set on the tracking thread by the call that starts it (a cell's StartCell), read
    /// there by the calls queued after it, and by the sweep after <see cref="Drain"/>. Null while no run was started.
    /// </summary>
    public string? RunId { get; set; }

    /// <summary>Queues the call and returns at once: the caller (the training thread) never waits on the tracker.</summary>
    public void Post(Action<SweepTracking> call) => queue.Post(() => Make(call));

    /// <summary>Makes the call after every call queued before it, and waits for it: true when it went through.
    /// Unbounded, like an inline call: each call is bounded by the client's retries.</summary>
    public bool Try(Action<SweepTracking> call)
    {
        var made = false;
        Post(t =>
        {
            call(t);
            made = true;
        });
        Drain(Timeout.InfiniteTimeSpan);
        return made;
    }

    /// <summary>Waits, at most <paramref name="bound"/>, until every call queued so far has been made or skipped; false
    /// (with <see cref="Error"/> set) when the bound ran out and the calls still queued were dropped. Cancelled, it
    /// throws <see cref="OperationCanceledException"/> and the calls stay queued.</summary>
    public bool Drain(TimeSpan bound, CancellationToken cancel = default)
    {
        if (queue.Drain(bound, cancel)) return true;
        error ??= queue.GaveUp;
        return false;
    }

    void Make(Action<SweepTracking> call)
    {
        if (queue.Tracking is not { } tracking || error is not null) return;
        try
        {
            call(tracking);
        }
        // Every exception, cancellation included: this runs on the tracking thread, where nothing may escape unobserved.
        catch (Exception e)
        {
            error = e.Message;
        }
    }
}
