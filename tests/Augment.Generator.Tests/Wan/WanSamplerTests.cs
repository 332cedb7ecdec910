using Augment.Data.Weights;
using Augment.Generator.Models.Wan;
using Augment.Generator.Sampling;
using Augment.Generator.Schedulers;
using Xunit.Abstractions;

namespace Augment.Tests.Generator.Wan;

public class WanSamplerTests(ITestOutputHelper log)
{
    [Fact]
    public void TwoGuidedStepsMatchTheOfficialPipelineLoop()
    {
        using var g = new GoldenCase("sampling-loop");
        using var model = new WanTransformer3DModel(WanTransformerConfig.FromJson(g.Model, "golden"));
        using (var weights = new SafeTensorsFile(Path.Combine(GoldenCase.Dir("transformer"), "weights.safetensors"))) StateDictLoader.Load(model, weights);
        model.eval();
        using var latents = g.Read("latents");
        using var prompt = g.Read("prompt_embeds");
        using var negative = g.Read("negative_prompt_embeds");
        var scheduler = new FlowMatchEulerDiscreteScheduler(1000, g.Config["shift"]!.GetValue<double>());
        using var output = WanSampler.Sample(model, scheduler, g.Config["steps"]!.GetValue<int>(), latents, prompt, negative, g.Config["guidance_scale"]!.GetValue<double>());
        foreach (var (k, v) in g.AssertMatches(new Dictionary<string, TorchSharp.torch.Tensor> { ["output"] = output }, ["output"]))
            log.WriteLine($"{k}: {v:E2} ({v / g.Noise(k):F1}× noise)");
    }
}
