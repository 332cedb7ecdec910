using System.Text.Json.Nodes;
using Augment.Generator.Reference;
using Augment.Generator.Schedulers;
using Augment.Data.Weights;
using Xunit.Abstractions;

namespace Augment.Tests.Generator.Wan;

public class FlowEulerSchedulerTests(ITestOutputHelper log)
{
    [Fact]
    public void GridsStepAndNoisingMatchTheOfficialSchedulerInBothSchedules()
    {
        using var g = new GoldenCase("scheduler");
        var outputs = new FlowEulerSchedulerReference().Run(new ReferenceCase(g.Model, null, g.Io, null, false, []));
        try
        {
            // Grids, step and noising are computed in the official precisions and operation order, so they are bit-identical
            // (the kit records no float32 noise for the scheduler; there is none to allow).
            foreach (var name in g.Outputs)
            {
                using var expected = g.Read(name);
                log.WriteLine($"{name}: max rel diff {GoldenCase.RelativeError(outputs[name], expected):E2}");
                Assert.True(outputs[name].eq(expected).all().item<bool>(), $"{name} differs from the official scheduler's");
            }
        }
        finally { foreach (var t in outputs.Values) t.Dispose(); }
    }

    [Fact]
    public void WithShiftSevenTheDefaultScheduleShiftsTheLowEndTwice()
    {
        var s = new FlowMatchEulerDiscreteScheduler(1000, 7.0);
        s.SetTimesteps(10);
        // σ_min of the training grid is already shifted, and set_timesteps shifts again (the kit README: 0.0468, not ≈0.007).
        Assert.Equal(0.0468, s.Sigmas[^2], 3);
        Assert.Equal(0f, s.Sigmas[^1]);
        s.SetLinearTimesteps(10);
        Assert.Equal(7 * 0.1 / (1 + 6 * 0.1), s.Sigmas[^2], 5);
    }

    [Fact]
    public void VariantsThisPortDoesNotHaveAreRefusedByName()
    {
        var e = Assert.Throws<InvalidDataException>(() => FlowMatchEulerDiscreteScheduler.FromJson(new JsonObject { ["use_karras_sigmas"] = true }, "scheduler_config.json"));
        Assert.Contains("scheduler_config.json: use_karras_sigmas = true is not supported", e.Message);
        Assert.Equal(3.0, FlowMatchEulerDiscreteScheduler.FromJson(new JsonObject { ["shift"] = 3.0, ["use_karras_sigmas"] = false, ["_class_name"] = "x" }, "s").ShiftValue);
    }
}
