using Augment.Classifier.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Augment.Classifier;

/// <summary>
/// MMAction2's fine-tuning conventions on a pretrained backbone: <c>frozen_stages</c> (the stem and the first k stages
/// take no gradient and stay in eval mode), <c>norm_eval</c> (every BatchNorm in eval mode while training, so small
/// batches do not overwrite the Kinetics statistics) and a backbone learning rate that is a multiple of the head's.
/// </summary>
public static class FineTuning
{
    /// <summary>Checks the options against the model; call once, before the optimizer is made.</summary>
    public static void Validate(VideoClassifier model, ClassifierOptions o)
    {
        bool tuning = o.FrozenStages >= 0 || o.NormEval || o.BackboneLrMultiplier != 1.0 || o.Crop is not null || o.Mean is not null || o.Std is not null;
        if (model is not IPretrainedBackbone backbone)
        {
            if (tuning || o.Weights is not null)
                throw new ArgumentException($"classifier '{o.Model}': weights, crop, mean, std, frozen_stages, norm_eval and backbone_lr_mult apply to torchvision's architectures (r3d_18, mc3_18, r2plus1d_18, s3d, resnet18) only");
            return;
        }
        if (o.FrozenStages >= backbone.Stages.Count)
            throw new ArgumentException($"frozen_stages {o.FrozenStages}: {o.Model} has the stem and {backbone.Stages.Count - 1} stages (largest value {backbone.Stages.Count - 1})");
    }

    /// <summary>Stops gradients into the frozen stages (their parameters are then left out of the optimizer).</summary>
    public static void Freeze(VideoClassifier model, ClassifierOptions o)
    {
        foreach (var stage in FrozenModules(model, o))
            foreach (var p in stage.parameters()) p.requires_grad = false;
    }

    /// <summary>
    /// Parameter groups for AdamW with each group's multiplier of the scheduled rate: the backbone's, then the head's.
    /// Frozen parameters are left out. A model without a pretrained backbone is one group at ×1.
    /// </summary>
    public static (List<(string Name, Parameter Param)> Parameters, double Multiplier)[] Groups(VideoClassifier model, ClassifierOptions o)
    {
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => (p.name, p.parameter)).ToList();
        if (model is not IPretrainedBackbone backbone) return [(trainable, 1.0)];
        var head = trainable.Where(p => p.name.StartsWith(backbone.HeadPrefix, StringComparison.Ordinal)).ToList();
        var body = trainable.Where(p => !p.name.StartsWith(backbone.HeadPrefix, StringComparison.Ordinal)).ToList();
        return [(body, o.BackboneLrMultiplier), (head, 1.0)];
    }

    /// <summary>Training mode, except BatchNorm under norm_eval and everything in a frozen stage.</summary>
    public static void TrainMode(VideoClassifier model, ClassifierOptions o)
    {
        model.train();
        if (o.NormEval)
            foreach (var (_, m) in model.named_modules())
                if (m is BatchNorm) m.eval();
        foreach (var stage in FrozenModules(model, o)) stage.eval();
    }

    static IEnumerable<nn.Module> FrozenModules(VideoClassifier model, ClassifierOptions o) =>
        model is IPretrainedBackbone backbone && o.FrozenStages >= 0 ? backbone.Stages.Take(o.FrozenStages + 1).SelectMany(s => s) : [];
}
