namespace Augment.Classifier;

/// <summary>Training hit a NaN/Inf loss or gradient; the run stopped and the last good checkpoint is untouched.</summary>
public sealed class NonFiniteLossException(int epoch, int step, string what, string? lastGoodCheckpoint)
    : Exception($"{what} is not finite at epoch {epoch}, step {step}; training stopped. " +
                (lastGoodCheckpoint is null ? "No epoch had finished, so there is no checkpoint." : $"Last good checkpoint: {lastGoodCheckpoint}.") +
                " Try a lower learning rate or check the input clips.")
{
    public int Epoch { get; } = epoch;
    public int Step { get; } = step;
    public string? LastGoodCheckpoint { get; } = lastGoodCheckpoint;
}
