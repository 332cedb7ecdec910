using System.Security.Cryptography;
using System.Text;

namespace Augment.Data;

/// <summary>Every random choice flows from one user seed; each purpose gets its own stable stream.</summary>
public static class Seeds
{
    /// <summary>A seed for one purpose, stable across runs and platforms (unlike string.GetHashCode).</summary>
    public static int Derive(long seed, string purpose)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{purpose}"));
        return BitConverter.ToInt32(hash, 0) & int.MaxValue;
    }

    public static Random Random(long seed, string purpose) => new(Derive(seed, purpose));
}
