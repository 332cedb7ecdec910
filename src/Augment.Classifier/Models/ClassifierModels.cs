namespace Augment.Classifier.Models;

/// <summary>
/// The classifier architectures by the name experiments.yaml gives them (classifier.model): adding one is a new model
/// file plus one line here. Checkpoints record the name, so a saved model is rebuilt by the same factory.
/// </summary>
public static class ClassifierModels
{
    static readonly Dictionary<string, Func<ModelConfig, VideoClassifier>> Factories = new(StringComparer.Ordinal)
    {
        ["r2plus1d"] = config => new R2Plus1DNet(config),
        ["frame2d"] = config => new Frame2DNet(config),
        // torchvision's Kinetics-400 architectures, under torchvision's names (their checkpoints load strictly).
        ["r3d_18"] = config => new VideoResNet(config),
        ["mc3_18"] = config => new VideoResNet(config),
        ["r2plus1d_18"] = config => new VideoResNet(config),
        ["s3d"] = config => new S3D(config),
        // torchvision's ImageNet resnet18 on every frame (the per-frame baseline with a pretrained backbone).
        ["resnet18"] = config => new FrameResNet18(config),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static VideoClassifier Create(ModelConfig config) => Factories.TryGetValue(config.Kind, out var create) ? create(config)
        : throw new ArgumentException($"unknown classifier model '{config.Kind}' (known: {string.Join(", ", Names)})");
}
