using System.Text.Json.Nodes;
using Augment.Data.Weights;
using TorchSharp;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Classifier.Models;

/// <summary>
/// The reference kit's <c>torchvision-video</c> case run on Augment's ports: the config's <c>model</c> names
/// <c>arch</c> (r3d_18, mc3_18, r2plus1d_18, s3d) and <c>num_classes</c>; it reads <c>video</c> [B,3,T,H,W] and writes
/// <c>output</c> (logits) and <c>features</c> (the avgpool output the head reads, [B,C,t,h,w] as torchvision has it), in
/// eval mode. Weights come from the given state dict (strict) or, for a <c>--init hash</c> case, from the kit's hash rule.
/// </summary>
public sealed class TorchvisionVideoReference : IReferenceModel
{
    public string Name => "torchvision-video";

    public IReadOnlyDictionary<string, Tensor> Run(ReferenceCase c)
    {
        foreach (var (key, _) in c.Model)
            if (key is not ("arch" or "num_classes") && !key.StartsWith('_'))
                throw new ArgumentException($"torchvision-video: model argument '{key}' is not supported (only arch and num_classes)");
        var arch = c.Model["arch"]?.GetValue<string>() ?? throw new ArgumentException("torchvision-video: the config's model has no arch");
        int classes = c.Model["num_classes"]?.GetValue<int>() ?? 400;
        if (!c.Inputs.Entries.TryGetValue("video", out var videoInfo) || videoInfo.Shape.Length != 5 || videoInfo.Shape[1] != 3)
            throw new ArgumentException($"{c.Inputs.Source}: needs a 'video' input [B,3,T,H,W]");
        var dims = videoInfo.Shape;
        using var model = Create(arch, classes, (int)dims[2], (int)dims[3], (int)dims[4]);
        if (c.Weights is not null) StateDictLoader.Load(model, c.Weights);
        else if (c.HashInitSeed is { } seed) HashInit.Apply(model, seed);
        else throw new ArgumentException("torchvision-video: give --weights, or a kit config.json of an --init hash case");
        model.eval();

        using var video = c.Inputs.Read("video").to(ScalarType.Float32);
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (no_grad())
        {
            outputs["features"] = ((IPretrainedBackbone)model).PooledMap(video);
            outputs["output"] = model.call(video);
        }
        if (c.Grads)
        {
            var named = model.named_parameters().ToList();
            var names = c.GradParams.Count > 0 ? c.GradParams
                : new[] { 0, named.Count / 2, named.Count - 2, named.Count - 1 }.Distinct().Select(i => named[i].name).ToList();
            var parameters = named.ToDictionary(p => p.name, p => p.parameter);
            foreach (var n in names)
                if (!parameters.ContainsKey(n)) throw new ArgumentException($"grad_params: '{n}' is not a parameter of {arch}");
            model.zero_grad();
            using var scope = NewDisposeScope();
            var loss = model.call(video).pow(HeldScalars.Two).mean();
            loss.backward();
            outputs["loss"] = loss.detach().clone().MoveToOuterDisposeScope();
            foreach (var n in names) outputs["grad." + n] = parameters[n].grad!.clone().MoveToOuterDisposeScope();
        }
        return outputs;
    }

    static VideoClassifier Create(string arch, int classes, int frames, int height, int width)
    {
        if (arch != "s3d" && !VideoResNet.Names.Contains(arch))
            throw new ArgumentException($"torchvision-video: arch '{arch}' is not ported (known: {string.Join(", ", VideoResNet.Names)}, s3d)");
        return ClassifierModels.Create(new ModelConfig(arch, classes, 0, 0, frames, height, width));
    }
}
