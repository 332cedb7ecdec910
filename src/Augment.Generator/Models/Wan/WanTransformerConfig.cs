using System.Text.Json;
using System.Text.Json.Nodes;

namespace Augment.Generator.Models.Wan;

/// <summary>
/// The arguments of diffusers' WanTransformer3DModel, read from its <c>config.json</c> (or the reference kit's
/// <c>model</c> object), with the class's own defaults. Keys starting with '_' (diffusers' <c>_class_name</c>, …) are
/// skipped; unknown keys and the image-to-video options, which this port does not have, are errors.
/// </summary>
public sealed record WanTransformerConfig
{
    public int[] PatchSize { get; init; } = [1, 2, 2];
    public int NumAttentionHeads { get; init; } = 40;
    public int AttentionHeadDim { get; init; } = 128;
    public int InChannels { get; init; } = 16;
    public int OutChannels { get; init; } = 16;
    public int TextDim { get; init; } = 4096;
    public int FreqDim { get; init; } = 256;
    public int FfnDim { get; init; } = 13824;
    public int NumLayers { get; init; } = 40;
    public bool CrossAttnNorm { get; init; } = true;
    public double Eps { get; init; } = 1e-6;
    public int RopeMaxSeqLen { get; init; } = 1024;

    public int InnerDim => NumAttentionHeads * AttentionHeadDim;

    public static WanTransformerConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such config file", path);
        try { return FromJson(JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new InvalidDataException("empty"), path); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: not JSON ({e.Message})"); }
    }

    public static WanTransformerConfig FromJson(JsonObject json, string source)
    {
        var c = new WanTransformerConfig();
        var unknown = new List<string>();
        try
        {
            foreach (var (key, node) in json)
            {
                if (key.StartsWith('_')) continue;
                c = key switch
                {
                    "patch_size" => c with { PatchSize = node!.AsArray().Select(n => n!.GetValue<int>()).ToArray() },
                    "num_attention_heads" => c with { NumAttentionHeads = node!.GetValue<int>() },
                    "attention_head_dim" => c with { AttentionHeadDim = node!.GetValue<int>() },
                    "in_channels" => c with { InChannels = node!.GetValue<int>() },
                    // diffusers: out_channels = out_channels or in_channels.
                    "out_channels" => c with { OutChannels = node?.GetValue<int>() ?? 0 },
                    "text_dim" => c with { TextDim = node!.GetValue<int>() },
                    "freq_dim" => c with { FreqDim = node!.GetValue<int>() },
                    "ffn_dim" => c with { FfnDim = node!.GetValue<int>() },
                    "num_layers" => c with { NumLayers = node!.GetValue<int>() },
                    "cross_attn_norm" => c with { CrossAttnNorm = node!.GetValue<bool>() },
                    "qk_norm" => node?.GetValue<string>() == "rms_norm_across_heads" ? c
                        : throw new InvalidDataException($"{source}: qk_norm '{node}' is not supported (Wan2.1 uses \"rms_norm_across_heads\")"),
                    "eps" => c with { Eps = node!.GetValue<double>() },
                    "rope_max_seq_len" => c with { RopeMaxSeqLen = node!.GetValue<int>() },
                    "image_dim" or "added_kv_proj_dim" or "pos_embed_seq_len" => node is null ? c
                        : throw new InvalidDataException($"{source}: {key} = {node} is an image-to-video option; this port is text-to-video only"),
                    _ => Unknown(c, key),
                };
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidDataException($"{source}: a Wan transformer setting has the wrong type ({e.Message})");
        }
        if (unknown.Count > 0) throw new InvalidDataException($"{source}: unknown WanTransformer3DModel settings: {string.Join(", ", unknown)}");
        if (c.OutChannels == 0) c = c with { OutChannels = c.InChannels };
        if (c.PatchSize.Length != 3 || c.PatchSize.Any(p => p < 1)) throw new InvalidDataException($"{source}: patch_size must be three positive sizes (t,h,w)");
        if (c.AttentionHeadDim % 2 != 0 || c.AttentionHeadDim < 6) throw new InvalidDataException($"{source}: attention_head_dim {c.AttentionHeadDim} must be even and at least 6 (3D RoPE)");
        return c;

        WanTransformerConfig Unknown(WanTransformerConfig c, string key)
        {
            unknown.Add(key);
            return c;
        }
    }
}
