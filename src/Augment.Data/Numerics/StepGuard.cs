using static TorchSharp.torch;

namespace Augment.Data.Numerics;

/// <summary>
/// Decides, step by step, whether an optimiser update may be applied. A step whose loss or gradient norm is NaN/Inf is
/// skipped (weights and optimiser state untouched), as mixed-precision training skips overflowing steps: an isolated
/// kernel glitch then costs one batch. Too many skips mean something systematic, and training stops:
/// <see cref="MaxConsecutive"/> in a row, or more than <see cref="MaxShare"/> of the steps once
/// <see cref="ShareAfter"/> steps have been seen.
/// </summary>
public sealed class StepGuard(string stage, Func<string?> lastGoodCheckpoint, int skippedBefore = 0, long stepsBefore = 0)
{
    public const int MaxConsecutive = 8;
    public const double MaxShare = 0.05;
    public const int ShareAfter = 100;
    static readonly TorchSharp.Scalar NaN = float.NaN;

    int consecutive;

    /// <summary>Steps skipped so far (including those of the run this one resumed).</summary>
    public int Skipped { get; private set; } = skippedBefore;

    /// <summary>Steps judged so far (including those of the run this one resumed).</summary>
    public long Steps { get; private set; } = stepsBefore;

    /// <summary>Raised with a human-readable line whenever a step is skipped.</summary>
    public event Action<string>? StepSkipped;

    // Test faults by stage; async-local, so a test's injection never reaches other code.
    static readonly AsyncLocal<Dictionary<string, Func<long, bool>>?> Injected = new();

    /// <summary>
    /// Fault injection for tests: while the returned scope lives, the steps <paramref name="at"/> picks in
    /// <paramref name="stageName"/> get a NaN gradient, so the guard's real path runs. Nothing in production calls it.
    /// </summary>
    internal static IDisposable InjectNonFiniteGradients(string stageName, Func<long, bool> at)
    {
        var previous = Injected.Value;
        Injected.Value = new(previous ?? []) { [stageName] = at };
        return new Restore(() => Injected.Value = previous);
    }

    /// <summary>After backward, before the gradient norm: a no-op unless a test injected a fault for this step.</summary>
    public void ApplyInjectedFault(long step, Tensor gradient)
    {
        if (Injected.Value?.TryGetValue(stage, out var at) == true && at(step)) gradient.fill_(NaN);
    }

    sealed class Restore(Action restore) : IDisposable
    {
        public void Dispose() => restore();
    }

    /// <summary>True: apply the update. False: skip it. Throws when the skips pass a limit.</summary>
    public bool Admit(long step, double loss, double gradNorm)
    {
        Steps++;
        string? bad = !double.IsFinite(loss) ? "loss" : !double.IsFinite(gradNorm) ? "gradient norm" : null;
        if (bad is null)
        {
            consecutive = 0;
            return true;
        }
        Skipped++;
        consecutive++;
        StepSkipped?.Invoke($"{stage}: step {step} skipped, {bad} is {(bad == "loss" ? loss : gradNorm)} ({Skipped} skipped so far)");
        if (consecutive >= MaxConsecutive)
            throw new NonFiniteTrainingException(stage, step, bad, $"{consecutive} steps in a row were non-finite (limit {MaxConsecutive})", lastGoodCheckpoint());
        if (Steps >= ShareAfter && Skipped > MaxShare * Steps)
            throw new NonFiniteTrainingException(stage, step, bad, $"{Skipped} of {Steps} steps were non-finite (limit {MaxShare:P0})", lastGoodCheckpoint());
        return false;
    }
}
