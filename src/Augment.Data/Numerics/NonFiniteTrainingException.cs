namespace Augment.Data.Numerics;

/// <summary>
/// Training met more non-finite steps than <see cref="StepGuard"/> tolerates and stopped; the last good checkpoint on
/// disk was not touched.
/// </summary>
public sealed class NonFiniteTrainingException(string stage, long step, string tensor, string limit, string? lastGoodCheckpoint)
    : Exception($"{stage}: {tensor} is not finite at step {step}; {limit}, so training stopped. " +
                (lastGoodCheckpoint is null ? "No checkpoint had been written yet." : $"Last good checkpoint: {lastGoodCheckpoint}.") +
                " Run 'augment doctor' to check this machine's numerics; if it passes, lower the learning rate or check the input clips.")
{
    public string Stage { get; } = stage;
    public long Step { get; } = step;
    public string Tensor { get; } = tensor;
    public string? LastGoodCheckpoint { get; } = lastGoodCheckpoint;
}

/// <summary>A generator produced NaN/Inf pixels; the clip is rejected as "non-finite output", never written.</summary>
public sealed class NonFiniteOutputException(int values) : Exception($"non-finite output ({values} NaN/Inf values)")
{
    public int Values { get; } = values;
}
