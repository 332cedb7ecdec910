using System.Runtime.InteropServices;

namespace Augment.Data;

/// <summary>
/// The C environment that native libraries (oneDNN, OpenCV, FFmpeg) read with getenv. On Linux .NET keeps its own copy:
/// Environment.SetEnvironmentVariable does not reach it. setenv is not safe while another thread reads the environment,
/// so callers set what they need before native code starts (at startup, in a static constructor).
/// </summary>
public static class NativeEnvironment
{
    [DllImport("libc", EntryPoint = "setenv")]
    static extern int SetEnv(string name, string value, int overwrite);

    [DllImport("libc", EntryPoint = "getenv")]
    static extern IntPtr GetEnv(string name);

    /// <summary>A variable as native code sees it (null when unset).</summary>
    public static string? Get(string name) => Marshal.PtrToStringUTF8(GetEnv(name));

    /// <summary>Sets a variable for native code and for .NET; with <paramref name="overwrite"/> false a value already
    /// there (one the user set, for debugging) wins.</summary>
    public static void Set(string name, string value, bool overwrite = true)
    {
        if (SetEnv(name, value, overwrite ? 1 : 0) != 0) throw new InvalidOperationException($"setenv({name}) failed");
        if (overwrite || Environment.GetEnvironmentVariable(name) is null) Environment.SetEnvironmentVariable(name, Get(name));
    }
}
