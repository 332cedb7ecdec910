using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Cli.Bench;

/// <summary>
/// The machine's measured matmul throughput, taken in the same process as a benchmark so model-FLOPs utilisation
/// (achieved / ceiling) compares like with like.
/// </summary>
public static class GemmCeiling
{
    public static double MeasureGflops(Device device, int n = 1024, double seconds = 2.0)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n, device: device);
        var b = randn(n, n, device: device);
        matmul(a, b).Dispose(); // warm-up: thread pool, caches
        long reps = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            matmul(a, b).Dispose();
            reps++;
        }
        if (device.type == DeviceType.CUDA) cuda.synchronize();
        return 2.0 * n * n * (double)n * reps / sw.Elapsed.TotalSeconds / 1e9;
    }
}
