using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Augment.Data.Numerics;

/// <summary>
/// The switches of libtorch's bundled oneDNN that TorchSharp does not expose. The ISA cap is read by oneDNN once, when
/// it creates its first primitive, so it must be set (through <see cref="NativeEnvironment"/>) before any convolution runs. The mkldnn switch is ATen's global one and can be flipped at any time.
/// </summary>
public static class OneDnn
{
    const string Torch = "libtorch_cpu.so";

    [DllImport(Torch, EntryPoint = "_ZN2at13globalContextEv")]
    static extern IntPtr GlobalContext();

    [DllImport(Torch, EntryPoint = "_ZN2at7Context20setUserEnabledMkldnnEb")]
    static extern void SetUserEnabledMkldnn(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    [DllImport(Torch, EntryPoint = "_ZNK2at7Context17userEnabledMkldnnEv")]
    [return: MarshalAs(UnmanagedType.U1)]
    static extern bool UserEnabledMkldnn(IntPtr context);

    [DllImport(Torch, EntryPoint = "_ZN2at7Context20setUserEnabledNNPACKEb")]
    static extern void SetUserEnabledNnpack(IntPtr context, [MarshalAs(UnmanagedType.U1)] bool enabled);

    // std::string at::get_mkldnn_version(): returned through a hidden pointer to a libstdc++ string {char*, size_t, ...}.
    [DllImport(Torch, EntryPoint = "_ZN2at18get_mkldnn_versionB5cxx11Ev")]
    static extern void GetMkldnnVersion(IntPtr result);

    /// <summary>oneDNN's own ISA cap variable.</summary>
    public const string IsaVariable = "DNNL_MAX_CPU_ISA";

    /// <summary>
    /// ATen's switch for oneDNN (mkldnn) kernels. Off, float convolutions run on ATen's own im2col + GEMM kernels,
    /// which do not go through oneDNN's JIT code at all.
    /// </summary>
    public static bool Enabled
    {
        get { TorchReady(); return UserEnabledMkldnn(GlobalContext()); }
        set { TorchReady(); SetUserEnabledMkldnn(GlobalContext(), value); }
    }

    /// <summary>
    /// Turns ATen's NNPACK path off. ATen falls back to it for 2D convolutions oneDNN does not take; on x86 servers it
    /// cannot initialise and prints a warning on every call, and ATen's own im2col + GEMM kernels do the work anyway.
    /// </summary>
    public static void DisableNnpack()
    {
        TorchReady();
        SetUserEnabledNnpack(GlobalContext(), false);
    }

    /// <summary>The oneDNN version libtorch was built with, e.g. "3.7.1".</summary>
    public static string Version()
    {
        TorchReady();
        var buffer = Marshal.AllocHGlobal(32);
        try
        {
            GetMkldnnVersion(buffer);
            var text = Marshal.PtrToStringUTF8(Marshal.ReadIntPtr(buffer), (int)Marshal.ReadInt64(buffer, 8));
            var match = System.Text.RegularExpressions.Regex.Match(text, @"v?(\d+\.\d+(\.\d+)?)");
            return match.Success ? match.Groups[1].Value : text.Trim();
        }
        finally
        {
            Marshal.FreeHGlobal(buffer); // the string's own heap buffer (if any) is leaked: a few bytes, once
        }
    }

    /// <summary>The best x86 ISA level this CPU offers, in oneDNN's names.</summary>
    public static string CpuIsa() =>
        Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported ? "AVX512_CORE"
        : Avx2.IsSupported ? "AVX2"
        : Avx.IsSupported ? "AVX"
        : Sse41.IsSupported ? "SSE41"
        : "none";

    // Loads libtorch through TorchSharp first, so the P/Invokes above bind to the copy TorchSharp uses.
    static void TorchReady() => TorchSharp.torch.InitializeDeviceType(TorchSharp.DeviceType.CPU);
}
