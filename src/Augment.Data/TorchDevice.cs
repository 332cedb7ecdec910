using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Data;

/// <summary>Picks the compute device from --device auto|cpu|cuda.</summary>
public static class TorchDevice
{
    public static Device Resolve(string choice = "auto") => choice.ToLowerInvariant() switch
    {
        "cpu" => CPU,
        "cuda" when cuda.is_available() => CUDA,
        "cuda" => throw new InvalidOperationException(
            "--device cuda: TorchSharp sees no CUDA device. Build with -p:AugmentDevice=cuda (needs libtorch-cuda from your own feed) and check the driver."),
        "auto" => cuda.is_available() ? CUDA : CPU,
        _ => throw new ArgumentException($"--device must be auto, cpu or cuda, not '{choice}'"),
    };

    /// <summary>
    /// Seeds libtorch's generator. It is process-wide, so same-seed-same-numbers holds for one training at a time per
    /// process (the sweep runs its cells one after another).
    /// </summary>
    public static void Seed(long seed)
    {
        random.manual_seed(seed);
        if (cuda.is_available()) cuda.manual_seed_all(seed);
    }
}
