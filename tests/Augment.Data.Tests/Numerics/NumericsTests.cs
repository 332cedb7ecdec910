using Augment.Data.Numerics;

namespace Augment.Tests.Numerics;

public class NumericsTests
{
    static readonly NumericsVerdict Good = new(true, "agrees", 1e-7, 0);
    static readonly NumericsVerdict Bad = new(false, "conv3d input gradient: 12 non-finite values", double.NaN, 12);

    [Fact]
    public void SelfCheckPassesOnThePathThisProcessComputesOn()
    {
        var state = ComputePath.Ensure();
        Assert.NotNull(state.Check);
        Assert.True(state.Check!.Ok, state.Check.Detail);
        // And it still holds now, after every other test's kernels have run.
        var again = NumericsCheck.Run();
        Assert.True(again.Ok, again.Detail);
        Assert.True(again.WorstRelativeError < NumericsCheck.Tolerance);
    }

    [Fact]
    public void PassingCheckKeepsOneDnn()
    {
        bool switched = false;
        var state = ComputePath.Decide("native", "test", () => Good, oneDnnOn: true, () => switched = true);
        Assert.False(switched);
        Assert.True(state.OneDnnEnabled);
        Assert.Null(state.Notice);
    }

    [Fact]
    public void FailingCheckSwitchesOneDnnOffRechecksAndSaysWhy()
    {
        var verdicts = new Queue<NumericsVerdict>([Bad, Good]);
        bool switched = false;
        var state = ComputePath.Decide("AVX2", "test", verdicts.Dequeue, oneDnnOn: true, () => switched = true);
        Assert.True(switched);
        Assert.Empty(verdicts);
        Assert.False(state.OneDnnEnabled);
        Assert.True(state.Check!.Ok);
        Assert.Contains("oneDNN kernels switched off", state.Notice);
        Assert.Contains("12 non-finite values", state.Notice);
        Assert.Contains(ComputePath.IsaSetting, state.Notice);
    }

    [Fact]
    public void FailingCheckWithNoSafePathLeftIsAnError()
    {
        var stillBad = Assert.Throws<InvalidOperationException>(() =>
            ComputePath.Decide("native", "test", () => Bad, oneDnnOn: true, () => { }));
        Assert.Contains("again with oneDNN off", stillBad.Message);
        var alreadyOff = Assert.Throws<InvalidOperationException>(() =>
            ComputePath.Decide("off", "test", () => Bad, oneDnnOn: false, () => throw new InvalidOperationException("must not switch")));
        Assert.Contains("failed with oneDNN off", alreadyOff.Message);
    }

    [Fact]
    public void GuardSkipsIsolatedGlitchesAndCountsThem()
    {
        var guard = new StepGuard("test stage", () => "last.ckpt");
        var skipped = new List<string>();
        guard.StepSkipped += skipped.Add;
        Assert.True(guard.Admit(0, 1.0, 0.5));
        Assert.False(guard.Admit(1, double.NaN, double.NaN));
        Assert.False(guard.Admit(2, 1.0, double.PositiveInfinity));
        Assert.True(guard.Admit(3, 0.9, 0.4));
        Assert.Equal(2, guard.Skipped);
        Assert.Equal(4, guard.Steps);
        Assert.Contains("step 1 skipped, loss is NaN", skipped[0]);
        Assert.Contains("gradient norm", skipped[1]);
    }

    [Fact]
    public void GuardStopsAfterTooManySkipsInARow()
    {
        var guard = new StepGuard("generator pretraining", () => "/runs/base.ckpt");
        for (int i = 0; i < StepGuard.MaxConsecutive - 1; i++) Assert.False(guard.Admit(10 + i, double.NaN, double.NaN));
        var e = Assert.Throws<NonFiniteTrainingException>(() => guard.Admit(10 + StepGuard.MaxConsecutive - 1, 1.0, double.NaN));
        Assert.Equal("generator pretraining", e.Stage);
        Assert.Equal(10 + StepGuard.MaxConsecutive - 1, e.Step);
        Assert.Equal("gradient norm", e.Tensor);
        Assert.Contains($"{StepGuard.MaxConsecutive} steps in a row", e.Message);
        Assert.Contains("/runs/base.ckpt", e.Message);
    }

    [Fact]
    public void GuardStopsWhenTooLargeAShareOfStepsIsSkipped()
    {
        var guard = new StepGuard("classifier training", () => null);
        int step = 0;
        var e = Assert.Throws<NonFiniteTrainingException>(() =>
        {
            // Every 10th step bad: never 2 in a row, but 10% of the steps.
            for (; step < 1000; step++) guard.Admit(step, step % 10 == 9 ? double.NaN : 1.0, 1.0);
        });
        Assert.True(step >= StepGuard.ShareAfter - 1, $"stopped at step {step}, before {StepGuard.ShareAfter} steps were seen");
        Assert.Contains("steps were non-finite (limit 5", e.Message);
        Assert.Contains("No checkpoint had been written yet", e.Message);
    }
}
