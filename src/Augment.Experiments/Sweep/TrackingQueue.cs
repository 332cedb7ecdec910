using System.Collections.Concurrent;
using System.Globalization;

namespace Augment.Experiments.Sweep;

/// <summary>
/// The one thread that makes a sweep's tracker calls, in the order they were queued, so that training never waits on the
/// tracker (inline, a server outage cost each cell the client's whole retry budget, about a minute, on top of its
/// training). One per sweep rather than one per cell: the parent run's calls, the backfills and the quality logs go
/// through it too, so the tracker (MlflowRestTracker, FileStoreTracker and SweepTracking are not thread-safe) is never
/// used from two threads, even after a bounded wait gave up on a call still in flight. The sweep drains it at the end
/// of every cell, so between cells it is idle and the main thread may read SweepTracking's state.
/// </summary>
sealed class TrackingQueue : IDisposable
{
    readonly BlockingCollection<Action> calls = new();
    volatile string? gaveUp;

    /// <param name="tracking">The sweep's runs; null when the tracker could not be opened (every call is skipped).</param>
    /// <param name="unavailable">Why it could not be, for the guards' <see cref="TrackingGuard.Error"/>.</param>
    public TrackingQueue(SweepTracking? tracking, string? unavailable)
    {
        (Tracking, Unavailable) = (tracking, unavailable);
        // A background thread: a call left in the client's retries when a bounded wait gave up does not keep the process alive.
        new Thread(Consume) { IsBackground = true, Name = "tracking" }.Start();
    }

    public SweepTracking? Tracking { get; }
    public string? Unavailable { get; }

    /// <summary>Set when a bounded <see cref="Drain"/> ran out: from then on nothing queued is made.</summary>
    public string? GaveUp => gaveUp;

    /// <summary>A new stream of calls with its own first error (one per cell, one for the backfills, ...).</summary>
    public TrackingGuard Guard() => new(this);

    // Only guards queue calls, and a guard's call catches every exception: nothing escapes this thread.
    void Consume()
    {
        foreach (var call in calls.GetConsumingEnumerable())
            if (gaveUp is null) call();
    }

    internal void Post(Action call)
    {
        if (gaveUp is null) calls.Add(call);
    }

    /// <summary>Waits until every call queued so far has run, at most <paramref name="bound"/>. When the bound runs out
    /// the queue gives up: the call in flight cannot be interrupted (the tracker interface has no cancellation) and may
    /// still finish, and everything queued after it is dropped. Cancelled, it throws and leaves the queue as it is.</summary>
    internal bool Drain(TimeSpan bound, CancellationToken cancel)
    {
        if (gaveUp is not null) return false;
        // Not an event to dispose: the consumer may still set it after a wait that gave up.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        calls.Add(() => done.TrySetResult());
        if (done.Task.Wait(bound, cancel)) return true;
        gaveUp = string.Create(CultureInfo.InvariantCulture,
            $"the tracker had not answered after {bound.TotalSeconds:0.#} s when the sweep stopped; the calls still queued were dropped");
        return false;
    }

    /// <summary>Ends the thread once what is queued has run (the sweep drained it before).</summary>
    public void Dispose() => calls.CompleteAdding();
}
