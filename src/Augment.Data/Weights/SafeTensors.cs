using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace Augment.Data.Weights;

/// <summary>
/// The safetensors format (huggingface/safetensors): an 8-byte little-endian header length, a JSON header mapping each
/// name to its dtype, shape and byte range (plus an optional string-to-string <c>__metadata__</c>), then the raw
/// little-endian data. Read here directly rather than through TorchSharp.PyBridge, whose reader drops the metadata (where
/// diffusers keeps a LoRA's alpha) and reads every tensor at once.
/// </summary>
public sealed class SafeTensorsFile : IStateDict
{
    const string MetadataKey = "__metadata__";
    readonly FileStream stream;
    readonly Dictionary<string, (TensorInfo Info, long Begin, long End)> index = new(StringComparer.Ordinal);
    readonly long dataStart;

    public SafeTensorsFile(string path)
    {
        Source = path;
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        try
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            if (stream.Read(lengthBytes) != 8) throw Bad("shorter than the 8-byte header length");
            ulong headerLength = BitConverter.ToUInt64(lengthBytes);
            if (headerLength == 0 || headerLength > 100_000_000 || (long)headerLength > stream.Length - 8)
                throw Bad($"header length {headerLength} does not fit the file ({stream.Length} bytes): not a safetensors file");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            dataStart = 8 + (long)headerLength;
            JsonObject root;
            try { root = JsonNode.Parse(header)?.AsObject() ?? throw Bad("empty header"); }
            catch (JsonException e) { throw Bad($"header is not JSON ({e.Message})"); }
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (name, node) in root)
            {
                if (name == MetadataKey)
                {
                    foreach (var (k, v) in node?.AsObject() ?? []) metadata[k] = v?.GetValue<string>() ?? "";
                    continue;
                }
                var entry = node?.AsObject() ?? throw Bad($"tensor '{name}' has no entry");
                var dtype = DtypeOf(entry["dtype"]?.GetValue<string>() ?? throw Bad($"tensor '{name}' has no dtype"), name);
                var shape = entry["shape"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray() ?? throw Bad($"tensor '{name}' has no shape");
                var offsets = entry["data_offsets"]?.AsArray().Select(d => d!.GetValue<long>()).ToArray();
                if (offsets is not [var begin, var end] || begin < 0 || end < begin || dataStart + end > stream.Length)
                    throw Bad($"tensor '{name}' has byte range outside the file (truncated download?)");
                long expected = shape.Aggregate(1L, (a, b) => a * b) * ElementSize(dtype);
                if (end - begin != expected)
                    throw Bad($"tensor '{name}' {dtype} [{string.Join(",", shape)}] needs {expected} bytes, its range holds {end - begin}");
                index[name] = (new TensorInfo(shape, dtype), begin, end);
            }
            Metadata = metadata;
            Entries = index.ToDictionary(kv => kv.Key, kv => kv.Value.Info, StringComparer.Ordinal);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    public string Source { get; }
    public IReadOnlyDictionary<string, TensorInfo> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public Tensor Read(string name)
    {
        if (!index.TryGetValue(name, out var e)) throw new KeyNotFoundException($"{Source}: no tensor '{name}'");
        var result = empty(e.Info.Shape, e.Info.Dtype);
        // Straight into the tensor's CPU memory, in slices a Span can address.
        var flat = result.view(-1);
        long elementSize = ElementSize(e.Info.Dtype), perSlice = int.MaxValue / elementSize, total = flat.shape[0];
        for (long first = 0; first < total; first += perSlice)
        {
            using var slice = flat.narrow(0, first, Math.Min(perSlice, total - first));
            RandomAccess.Read(stream.SafeFileHandle, slice.bytes, dataStart + e.Begin + first * elementSize);
        }
        GC.KeepAlive(flat);
        flat.Dispose();
        return result;
    }

    public void Dispose() => stream.Dispose();

    /// <summary>
    /// Writes tensors (any dtype; CPU copies are made as needed) and string metadata atomically. The header is padded
    /// to a multiple of 8 bytes, as the reference writer does, so readers that map the data can align it.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.Select(t => (t.Name, Value: t.Value.detach().cpu().contiguous())).ToList();
        try
        {
            var header = new JsonObject();
            if (metadata is { Count: > 0 }) header[MetadataKey] = new JsonObject(metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
            long offset = 0;
            foreach (var (name, value) in list)
            {
                if (header.ContainsKey(name)) throw new ArgumentException($"{path}: tensor '{name}' given twice");
                long length = value.NumberOfElements * ElementSize(value.dtype);
                header[name] = new JsonObject
                {
                    ["dtype"] = DtypeName(value.dtype),
                    ["shape"] = new JsonArray(value.shape.Select(d => (JsonNode?)d).ToArray()),
                    ["data_offsets"] = new JsonArray(offset, offset + length),
                };
                offset += length;
            }
            var json = Encoding.UTF8.GetBytes(header.ToJsonString());
            int padded = (json.Length + 7) / 8 * 8;
            AtomicFile.Write(path, tmp =>
            {
                using var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write);
                fs.Write(BitConverter.GetBytes((ulong)padded));
                fs.Write(json);
                for (int i = json.Length; i < padded; i++) fs.WriteByte((byte)' ');
                foreach (var (_, value) in list)
                {
                    var flat = value.view(-1);
                    long elementSize = ElementSize(value.dtype), perSlice = int.MaxValue / elementSize;
                    for (long first = 0; first < flat.shape[0]; first += perSlice)
                    {
                        using var slice = flat.narrow(0, first, Math.Min(perSlice, flat.shape[0] - first));
                        fs.Write(slice.bytes);
                    }
                }
                fs.Flush(flushToDisk: true);
            });
        }
        finally
        {
            foreach (var (_, value) in list) value.Dispose();
        }
    }

    Exception Bad(string problem) => new InvalidDataException($"{Source}: {problem}");

    static readonly (string Name, ScalarType Type, int Size)[] Dtypes =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2), ("BF16", ScalarType.BFloat16, 2),
        ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4), ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1),
        ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    ScalarType DtypeOf(string name, string tensor) =>
        Dtypes.FirstOrDefault(d => d.Name == name) is { Name: not null } d ? d.Type : throw Bad($"tensor '{tensor}' has dtype {name}, which is not supported");

    static string DtypeName(ScalarType type) =>
        Dtypes.FirstOrDefault(d => d.Type == type) is { Name: not null } d ? d.Name : throw new ArgumentException($"safetensors cannot store {type}");

    public static int ElementSize(ScalarType type) =>
        Dtypes.FirstOrDefault(d => d.Type == type) is { Name: not null } d ? d.Size : throw new ArgumentException($"safetensors cannot store {type}");
}
