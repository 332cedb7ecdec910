using System.Runtime.CompilerServices;
using Augment.Data.Numerics;

namespace Augment.Tests;

static class NumericsSetup
{
    // As the CLI does: cap and self-check before any test touches libtorch, so every test computes on the path
    // `augment` would take on this machine (oneDNN off where its kernels misbehave).
    [ModuleInitializer]
    internal static void Configure() => ComputePath.Ensure();
}
