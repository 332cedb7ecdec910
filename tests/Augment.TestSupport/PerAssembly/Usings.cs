global using Xunit;

// libtorch's random generator and CPU thread count are process-wide: tests that check bit-identical results would
// see each other's draws and thread settings if they ran at the same time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
