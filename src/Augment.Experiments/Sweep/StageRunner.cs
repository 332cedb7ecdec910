using Augment.Experiments.Cluster;

namespace Augment.Experiments.Sweep;

/// <summary>
/// How every stage of a sweep runs, in one place: a stage that failed earlier in this process fails again at once with
/// its first error (so ten cells that need one broken base do not retrain it ten times); otherwise it is claimed, waiting
/// while another worker holds it, then either reused (its stored result still matches its fingerprint) or begun (a
/// stale folder moved aside, the new fingerprint written) and run.
/// </summary>
public sealed class StageRunner(SweepStages stages, StageClaims claims)
{
    readonly Dictionary<string, string> failed = [];

    /// <param name="decide">The stage's decision, asked again after waiting (another worker may have finished it).</param>
    /// <param name="stored">The result of a stage that is reused.</param>
    /// <param name="run">The stage's work, in its readied folder.</param>
    public T Run<T>(Func<StageDecision> decide, string dir, Func<Fingerprint> print, Func<T> stored, Func<T> run,
        Action<string, double> report, CancellationToken cancel)
    {
        var stage = decide().Stage;
        if (failed.TryGetValue(stage, out var error)) throw new InvalidOperationException($"{stage} failed earlier in this sweep: {error}");
        try
        {
            using var claim = claims.Take(stage, () => decide().Action == StageAction.Reuse,
                holder => report($"waiting for {holder.Worker} to finish {holder.Stage}", 0), cancel);
            return stages.Begin(decide(), dir, print()) ? run() : stored();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failed[stage] = e.Message;
            throw;
        }
    }
}
