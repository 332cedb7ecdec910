using static TorchSharp.torch;

namespace Augment.Data.Numerics;

/// <summary>
/// Sets libtorch's CPU thread count for a scope and restores it after. Results depend on the thread count (reduction
/// order), so a fixed count is part of "same seed, same numbers"; and these small models run faster on one thread
/// than on two that wait for each other whenever the machine is busy.
/// </summary>
public sealed class TorchThreads : IDisposable
{
    readonly int previous = get_num_threads();

    public TorchThreads(int threads)
    {
        if (threads > 0) set_num_threads(threads);
    }

    public void Dispose() => set_num_threads(previous);
}
