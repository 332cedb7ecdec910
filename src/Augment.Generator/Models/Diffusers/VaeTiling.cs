using System.Text.Json.Nodes;
using static TorchSharp.torch;
using Augment.Data.Numerics;

namespace Augment.Generator.Models.Diffusers;

/// <summary>
/// diffusers' spatial VAE tiling (<c>enable_tiling()</c>; its argument names, its defaults: 256-pixel tiles every 192
/// pixels), as AutoencoderKLWan's <c>tiled_encode</c>/<c>tiled_decode</c> run it and AutoencoderKLHunyuanVideo repeats
/// it: the input is cut into overlapping tiles on a fixed grid (a tile starts every stride, edge tiles are smaller),
/// each tile goes through the model alone, each output tile is blended linearly into its upper and left neighbours
/// over the overlap, then its top-left stride-sized corner is kept. Tiles are only used when the input is larger than
/// one tile. The output differs from an untiled pass (each tile sees only its own context); the grid bounds the
/// memory of one pass by the tile size instead of the frame size.
/// </summary>
public sealed record VaeTiling(int TileSampleMinHeight = 256, int TileSampleMinWidth = 256, int TileSampleStrideHeight = 192, int TileSampleStrideWidth = 192)
{
    /// <summary>enable_tiling's keyword arguments; an absent or null one keeps diffusers' default, as enable_tiling does.</summary>
    public static VaeTiling FromJson(JsonObject json, string source)
    {
        var t = new VaeTiling();
        try
        {
            foreach (var (key, node) in json)
            {
                if (key.StartsWith('_') || node is null) continue;
                int v = node.GetValue<int>();
                t = key switch
                {
                    "tile_sample_min_height" => t with { TileSampleMinHeight = v },
                    "tile_sample_min_width" => t with { TileSampleMinWidth = v },
                    "tile_sample_stride_height" => t with { TileSampleStrideHeight = v },
                    "tile_sample_stride_width" => t with { TileSampleStrideWidth = v },
                    _ => throw new InvalidDataException($"{source}: unknown tiling setting '{key}' (tile_sample_min_height/width, tile_sample_stride_height/width)"),
                };
            }
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{source}: a tiling setting is not an integer ({e.Message})");
        }
        return t;
    }

    /// <summary>The grid must line up with the latent grid: tiles and strides are whole latent pixels, and a stride
    /// no longer than its tile (otherwise diffusers' crop would leave gaps).</summary>
    public void Check(int scale)
    {
        foreach (var (name, size, stride) in new[] { ("height", TileSampleMinHeight, TileSampleStrideHeight), ("width", TileSampleMinWidth, TileSampleStrideWidth) })
            if (stride <= 0 || size < stride || size % scale != 0 || stride % scale != 0)
                throw new ArgumentException($"VAE tiling: the tile {name} {size} and stride {stride} must be multiples of the VAE's spatial scale {scale}, with 0 < stride ≤ tile");
    }

    /// <summary>Encodes [B,C,F,H,W] pixels tile by tile (tiles of the sample size, blended over the latent overlap).</summary>
    public Tensor Encode(Tensor video, int scale, Func<Tensor, Tensor> encode)
    {
        long h = video.shape[3], w = video.shape[4];
        if (h <= TileSampleMinHeight && w <= TileSampleMinWidth) return encode(video);
        return Tiled(video, (TileSampleMinHeight, TileSampleMinWidth), (TileSampleStrideHeight, TileSampleStrideWidth),
            (TileSampleMinHeight / scale - TileSampleStrideHeight / scale, TileSampleMinWidth / scale - TileSampleStrideWidth / scale),
            (TileSampleStrideHeight / scale, TileSampleStrideWidth / scale), (h / scale, w / scale), encode);
    }

    /// <summary>Decodes a [B,z,f,h,w] latent tile by tile (tiles of the sample size over the scale, blended over the
    /// sample overlap).</summary>
    public Tensor Decode(Tensor latent, int scale, Func<Tensor, Tensor> decode)
    {
        long h = latent.shape[3], w = latent.shape[4];
        if (h <= TileSampleMinHeight / scale && w <= TileSampleMinWidth / scale) return decode(latent);
        return Tiled(latent, (TileSampleMinHeight / scale, TileSampleMinWidth / scale), (TileSampleStrideHeight / scale, TileSampleStrideWidth / scale),
            (TileSampleMinHeight - TileSampleStrideHeight, TileSampleMinWidth - TileSampleStrideWidth),
            (TileSampleStrideHeight, TileSampleStrideWidth), (h * scale, w * scale), decode);
    }

    /// <summary>The grid pass in diffusers' order: row by row, each tile blended (in place) with the already blended tile
    /// above, then with the already blended tile to its left, then cropped. Only the previous row is kept.</summary>
    static Tensor Tiled(Tensor x, (long H, long W) tile, (long H, long W) stride, (long H, long W) blend, (long H, long W) keep,
        (long H, long W) size, Func<Tensor, Tensor> run)
    {
        using var scope = NewDisposeScope();
        var rows = new List<Tensor>();
        var above = new List<Tensor>();
        try
        {
            for (long i = 0; i < x.shape[3]; i += stride.H)
            {
                var row = new List<Tensor>();
                try
                {
                    for (long j = 0; j < x.shape[4]; j += stride.W)
                    {
                        var part = run(x.narrow(3, i, Math.Min(tile.H, x.shape[3] - i)).narrow(4, j, Math.Min(tile.W, x.shape[4] - j))).DetachFromDisposeScope();
                        row.Add(part);
                        if (above.Count > 0) Blend(above[row.Count - 1], part, 3, blend.H);
                        if (row.Count > 1) Blend(row[^2], part, 4, blend.W);
                    }
                    using var rowScope = NewDisposeScope();
                    rows.Add(cat(row.Select(t => t.narrow(3, 0, Math.Min(keep.H, t.shape[3])).narrow(4, 0, Math.Min(keep.W, t.shape[4]))).ToList(), 4).MoveToOuterDisposeScope());
                }
                finally
                {
                    foreach (var t in above) t.Dispose();
                    above = row;
                }
            }
        }
        finally
        {
            foreach (var t in above) t.Dispose();
        }
        return cat(rows, 3).narrow(3, 0, size.H).narrow(4, 0, size.W).contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>diffusers' blend_v (dim 3) / blend_h (dim 4): the first e rows of b become a's last e rows·(1 − y/e) +
    /// b's·(y/e), e = min(both sizes, extent); the weights rounded from double once, as PyTorch's scalar multiply does.</summary>
    static void Blend(Tensor a, Tensor b, int dim, long extent)
    {
        long e = Math.Min(Math.Min(a.shape[dim], b.shape[dim]), extent);
        if (e <= 0) return;
        using var scope = NewDisposeScope();
        var shape = Enumerable.Repeat(1L, (int)b.dim()).ToArray();
        shape[dim] = e;
        var wb = tensor(Enumerable.Range(0, (int)e).Select(y => y / (double)e).ToArray(), dtype: b.dtype, device: b.device).view(shape);
        var wa = tensor(Enumerable.Range(0, (int)e).Select(y => 1 - y / (double)e).ToArray(), dtype: b.dtype, device: b.device).view(shape);
        var head = b.narrow(dim, 0, e);
        head.copy_((a.narrow(dim, a.shape[dim] - e, e) * wa).Plus(head * wb));
    }
}
