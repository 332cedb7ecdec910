using Augment.Data.Numerics;
using System.Text;
using System.Text.Json;
using Augment.Data;
using static TorchSharp.torch;

namespace Augment.Generator;

/// <summary>
/// The one file format for base checkpoints and LoRA adapters: "AUGTNSR1", a JSON header (what the file is, the model
/// shape, the training step) and named float32 tensors. Written atomically; a truncated file fails with its path.
/// </summary>
public static class TensorArchive
{
    const string Magic = "AUGTNSR1";

    public static void Write<TMeta>(string path, TMeta meta, IEnumerable<(string Name, Tensor Value)> tensors)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Encoding.ASCII.GetBytes(Magic));
            w.Write(JsonSerializer.Serialize(meta, AtomicFile.Json));
            var list = tensors.ToList();
            w.Write(list.Count);
            foreach (var (name, value) in list)
            {
                using var cpu = value.detach().cpu().to(ScalarType.Float32).contiguous();
                // The last line of defence: a checkpoint never stores NaN/Inf over a good one.
                if (NonFinite.Count(cpu) > 0) throw new InvalidOperationException($"{path}: tensor '{name}' holds NaN/Inf; checkpoint not written");
                w.Write(name);
                w.Write((int)cpu.dim());
                foreach (var d in cpu.shape) w.Write(d);
                w.Write(MemoryMarshalBytes(cpu.data<float>().ToArray()));
            }
        }
        AtomicFile.WriteAllBytes(path, ms.ToArray());
    }

    /// <summary>The JSON header alone, without reading the tensors.</summary>
    public static TMeta ReadHeader<TMeta>(string path)
    {
        using var r = Open(path);
        return Header<TMeta>(r, path);
    }

    public static (TMeta Meta, Dictionary<string, Tensor> Tensors) Read<TMeta>(string path)
    {
        using var r = Open(path);
        try
        {
            var meta = Header<TMeta>(r, path);
            int count = r.ReadInt32();
            var tensors = new Dictionary<string, Tensor>(count);
            for (int i = 0; i < count; i++)
            {
                var name = r.ReadString();
                var shape = new long[r.ReadInt32()];
                for (int d = 0; d < shape.Length; d++) shape[d] = r.ReadInt64();
                var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
                var bytes = r.ReadBytes(values.Length * 4);
                if (bytes.Length != values.Length * 4) throw new EndOfStreamException();
                Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
                tensors[name] = tensor(values, shape);
            }
            return (meta, tensors);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint");
        }
    }

    static BinaryReader Open(string path) =>
        File.Exists(path) ? new BinaryReader(File.OpenRead(path), Encoding.UTF8) : throw new FileNotFoundException($"{path}: no such checkpoint", path);

    static TMeta Header<TMeta>(BinaryReader r, string path)
    {
        try
        {
            if (Encoding.ASCII.GetString(r.ReadBytes(Magic.Length)) != Magic)
                throw new InvalidDataException($"{path}: not an Augment checkpoint (bad magic)");
            return JsonSerializer.Deserialize<TMeta>(r.ReadString(), AtomicFile.Json) ?? throw new InvalidDataException($"{path}: empty header");
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException($"{path}: truncated checkpoint");
        }
    }


    static byte[] MemoryMarshalBytes(float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return bytes;
    }
}
