namespace Augment.Data.Numerics;

/// <summary>How this process computes: the oneDNN ISA cap and where it came from, whether oneDNN kernels are on, and
/// what the self-check found.</summary>
public sealed record NumericsState(string Isa, string IsaReason, bool OneDnnEnabled, NumericsVerdict? Check, string? Notice);

/// <summary>
/// Decides, once per process and before the first real work, which code path libtorch computes on:
/// <list type="number">
/// <item>The oneDNN ISA cap (must precede the first convolution): <c>AUGMENT_ONEDNN_ISA</c> if set (auto, native, off,
/// or a oneDNN name such as avx2/sse41); else a <c>DNNL_MAX_CPU_ISA</c> the user set; else none.</item>
/// <item>The self-check (<see cref="NumericsCheck"/>); if it fails, oneDNN kernels are switched off (ATen's own
/// convolutions take over), the check runs again and one line says so. Skipped with <c>AUGMENT_NUMERICS_CHECK=skip</c>.
/// oneDNN 3.7.1 (libtorch 2.10) gets conv3d backward wrong (NaN/Inf) on some AVX-512 CPUs: README, "If numbers go NaN".</item>
/// </list>
/// Training loops still guard every step (<see cref="StepGuard"/>): a glitch rarer than the check can see is skipped.
/// </summary>
public static class ComputePath
{
    public const string IsaSetting = "AUGMENT_ONEDNN_ISA", CheckSetting = "AUGMENT_NUMERICS_CHECK";
    static readonly object gate = new();
    static (string Isa, string Reason)? isa;
    static NumericsState? state;

    /// <summary>Sets the ISA cap; call before anything else touches libtorch (the CLI's and the tests' first line).</summary>
    public static (string Isa, string Reason) ConfigureIsa()
    {
        lock (gate) return isa ??= DecideIsa();
    }

    /// <summary>The ISA cap, the self-check and its fallback; cached for the process.</summary>
    public static NumericsState Ensure()
    {
        lock (gate)
        {
            if (state is not null) return state;
            var (cap, reason) = isa ??= DecideIsa();
            OneDnn.DisableNnpack();
            if (cap == "off") OneDnn.Enabled = false;
            if (Environment.GetEnvironmentVariable(CheckSetting)?.Trim().ToLowerInvariant() is "skip" or "0" or "off" or "false")
                return state = new NumericsState(cap, reason, OneDnn.Enabled, null, null);
            state = Decide(cap, reason, () => NumericsCheck.Run(), OneDnn.Enabled, () => OneDnn.Enabled = false);
            if (state.Notice is not null) Console.Error.WriteLine(state.Notice);
            return state;
        }
    }

    /// <summary>
    /// The self-check's decision: a pass keeps oneDNN; a failure with oneDNN on switches it off and checks again; a
    /// failure without oneDNN (or after switching it off) is an error, since no safe path is left.
    /// </summary>
    internal static NumericsState Decide(string cap, string reason, Func<NumericsVerdict> check, bool oneDnnOn, Action switchOneDnnOff)
    {
        var verdict = check();
        if (verdict.Ok) return new NumericsState(cap, reason, oneDnnOn, verdict, null);
        if (!oneDnnOn)
            throw new InvalidOperationException($"numerics self-check failed with oneDNN off: {verdict.Detail}. " +
                                                "libtorch computes wrong numbers on this machine; run 'augment doctor'.");
        switchOneDnnOff();
        var retry = check();
        if (!retry.Ok)
            throw new InvalidOperationException($"numerics self-check failed, and again with oneDNN off: {retry.Detail}. " +
                                                "libtorch computes wrong numbers on this machine; run 'augment doctor'.");
        var notice = $"numerics: oneDNN kernels switched off for this run (self-check with ISA {cap}: {verdict.Detail}); " +
                     $"ATen's own kernels agree with float64. Force a choice with {IsaSetting}.";
        return new NumericsState(cap, reason, false, retry with { Detail = $"after switching oneDNN off: {retry.Detail}" }, notice);
    }

    static (string, string) DecideIsa()
    {
        var asked = Environment.GetEnvironmentVariable(IsaSetting)?.Trim();
        var inherited = NativeEnvironment.Get(OneDnn.IsaVariable);
        if (!string.IsNullOrEmpty(asked) && !asked.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            var value = asked.ToUpperInvariant();
            if (value is "NATIVE" or "DEFAULT" or "ALL")
                return (inherited ?? "native", $"{IsaSetting}={asked}");
            if (value == "OFF") return ("off", $"{IsaSetting}=off: oneDNN kernels disabled");
            if (!KnownIsas.Contains(value))
                throw new ArgumentException($"{IsaSetting}={asked}: expected auto, native, off or one of {string.Join(", ", KnownIsas).ToLowerInvariant()}");
            NativeEnvironment.Set(OneDnn.IsaVariable, value);
            return (value, $"{IsaSetting}={asked}");
        }
        if (!string.IsNullOrEmpty(inherited)) return (inherited.ToUpperInvariant(), $"{OneDnn.IsaVariable} set by the environment");
        // No cap by default: on the AMD EPYC (AVX-512) where the bug was seen, capping at AVX2 did not fix conv3d
        // backward while switching oneDNN off did, at no measurable training cost; the self-check decides per machine.
        return ("native", "oneDNN picks the best ISA of this CPU");
    }

    /// <summary>oneDNN's DNNL_MAX_CPU_ISA values for x86.</summary>
    public static readonly string[] KnownIsas =
    [
        "SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI", "AVX512_CORE_BF16",
        "AVX10_1_512", "AVX512_CORE_FP16", "AVX10_1_512_AMX", "AVX512_CORE_AMX", "AVX10_1_512_AMX_FP16", "AVX512_CORE_AMX_FP16",
    ];
}
