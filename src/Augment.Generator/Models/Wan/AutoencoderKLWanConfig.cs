using System.Text.Json;
using System.Text.Json.Nodes;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// The arguments of diffusers' AutoencoderKLWan (Wan2.1: not residual, no patching), from its <c>config.json</c> or the
/// kit's <c>model</c> object, with the class's defaults. latents_mean/std are what the pipeline normalises latents by.
/// </summary>
public sealed record AutoencoderKLWanConfig
{
    public int BaseDim { get; init; } = 96;
    public int? DecoderBaseDim { get; init; }
    public int ZDim { get; init; } = 16;
    public int[] DimMult { get; init; } = [1, 2, 4, 4];
    public int NumResBlocks { get; init; } = 2;
    public double[] AttnScales { get; init; } = [];
    public bool[] TemperalDownsample { get; init; } = [false, true, true];
    public double[] LatentsMean { get; init; } = [-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508, 0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921];
    public double[] LatentsStd { get; init; } = [2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743, 3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160];
    public int InChannels { get; init; } = 3;
    public int OutChannels { get; init; } = 3;
    public int ScaleFactorTemporal { get; init; } = 4;
    public int ScaleFactorSpatial { get; init; } = 8;

    public static AutoencoderKLWanConfig FromJson(JsonObject json, string source)
    {
        var c = new AutoencoderKLWanConfig();
        var unknown = new List<string>();
        try
        {
            foreach (var (key, node) in json)
            {
                if (key.StartsWith('_')) continue;
                c = key switch
                {
                    "base_dim" => c with { BaseDim = node!.GetValue<int>() },
                    "decoder_base_dim" => c with { DecoderBaseDim = node?.GetValue<int>() },
                    "z_dim" => c with { ZDim = node!.GetValue<int>() },
                    "dim_mult" => c with { DimMult = node!.AsArray().Select(n => n!.GetValue<int>()).ToArray() },
                    "num_res_blocks" => c with { NumResBlocks = node!.GetValue<int>() },
                    "attn_scales" => c with { AttnScales = node!.AsArray().Select(n => n!.GetValue<double>()).ToArray() },
                    "temperal_downsample" => c with { TemperalDownsample = node!.AsArray().Select(n => n!.GetValue<bool>()).ToArray() },
                    "latents_mean" => c with { LatentsMean = node!.AsArray().Select(n => n!.GetValue<double>()).ToArray() },
                    "latents_std" => c with { LatentsStd = node!.AsArray().Select(n => n!.GetValue<double>()).ToArray() },
                    "in_channels" => c with { InChannels = node!.GetValue<int>() },
                    "out_channels" => c with { OutChannels = node!.GetValue<int>() },
                    "scale_factor_temporal" => c with { ScaleFactorTemporal = node?.GetValue<int>() ?? 4 },
                    "scale_factor_spatial" => c with { ScaleFactorSpatial = node?.GetValue<int>() ?? 8 },
                    "dropout" => node?.GetValue<double>() is null or 0.0 ? c : throw new InvalidDataException($"{source}: dropout {node} is a training option this port does not have"),
                    "is_residual" => node?.GetValue<bool>() == true ? throw new InvalidDataException($"{source}: is_residual (the Wan2.2 VAE) is not supported") : c,
                    "patch_size" => node is null ? c : throw new InvalidDataException($"{source}: patch_size {node} (the Wan2.2 VAE) is not supported"),
                    _ => Unknown(c, key),
                };
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"{source}: a Wan VAE setting has the wrong type ({e.Message})");
        }
        if (unknown.Count > 0) throw new InvalidDataException($"{source}: unknown AutoencoderKLWan settings: {string.Join(", ", unknown)}");
        if (c.TemperalDownsample.Length != c.DimMult.Length - 1)
            throw new InvalidDataException($"{source}: temperal_downsample needs {c.DimMult.Length - 1} entries (one per downsampling), has {c.TemperalDownsample.Length}");
        return c;

        AutoencoderKLWanConfig Unknown(AutoencoderKLWanConfig c, string key)
        {
            unknown.Add(key);
            return c;
        }
    }
}
