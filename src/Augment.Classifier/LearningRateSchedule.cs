namespace Augment.Classifier;

/// <summary>Linear warm-up to the base rate, then cosine decay to zero at the last step.</summary>
public sealed record LearningRateSchedule(double BaseRate, long WarmupSteps, long TotalSteps)
{
    public double At(long step)
    {
        if (step < WarmupSteps) return BaseRate * (step + 1) / WarmupSteps;
        long decaySteps = Math.Max(1, TotalSteps - WarmupSteps);
        double progress = Math.Min(1.0, (double)(step - WarmupSteps) / decaySteps);
        return BaseRate * 0.5 * (1 + Math.Cos(Math.PI * progress));
    }
}
