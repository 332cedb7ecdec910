using System.Text;

namespace Augment.Tests.Generator;

/// <summary>
/// Writes a tiny ONNX model by hand (protobuf wire format, no packages, no downloads): the exact velocity of a flow
/// whose data is a single colour chosen by the prompt, velocity = (x_t − reshape(cond·W)) / t.
/// </summary>
public static class OnnxModelBuilder
{
    public static byte[] ColourFlow(float[,] w, int frames, int height, int width)
    {
        int buckets = w.GetLength(0);
        var graph = new List<byte>();
        graph.AddRange(Field(1, Node("MatMul", ["cond", "W"], ["c"])));
        graph.AddRange(Field(1, Node("Reshape", ["c", "shape5"], ["c5"])));
        graph.AddRange(Field(1, Node("Sub", ["x_t", "c5"], ["d"])));
        graph.AddRange(Field(1, Node("Reshape", ["t", "shape_t"], ["t5"])));
        graph.AddRange(Field(1, Node("Div", ["d", "t5"], ["velocity"])));
        graph.AddRange(Field(2, Encoding.UTF8.GetBytes("colour_flow")));
        graph.AddRange(Field(5, FloatTensor("W", [buckets, 3], w.Cast<float>().ToArray())));
        graph.AddRange(Field(5, Int64Tensor("shape5", [-1, 3, 1, 1, 1])));
        graph.AddRange(Field(5, Int64Tensor("shape_t", [-1, 1, 1, 1, 1])));
        graph.AddRange(Field(11, ValueInfo("x_t", [null, 3, frames, height, width])));
        graph.AddRange(Field(11, ValueInfo("t", [null])));
        graph.AddRange(Field(11, ValueInfo("cond", [null, buckets])));
        graph.AddRange(Field(12, ValueInfo("velocity", [null, 3, frames, height, width])));

        var model = new List<byte>();
        model.AddRange(Varint(1, 8)); // ir_version
        model.AddRange(Field(2, Encoding.UTF8.GetBytes("augment-tests")));
        model.AddRange(Field(7, graph.ToArray()));
        model.AddRange(Field(8, [.. Field(1, []), .. Varint(2, 17)])); // opset_import: default domain, opset 17
        return model.ToArray();
    }

    static byte[] Node(string op, string[] inputs, string[] outputs)
    {
        var b = new List<byte>();
        foreach (var i in inputs) b.AddRange(Field(1, Encoding.UTF8.GetBytes(i)));
        foreach (var o in outputs) b.AddRange(Field(2, Encoding.UTF8.GetBytes(o)));
        b.AddRange(Field(3, Encoding.UTF8.GetBytes(op + "_" + outputs[0])));
        b.AddRange(Field(4, Encoding.UTF8.GetBytes(op)));
        return b.ToArray();
    }

    static byte[] FloatTensor(string name, long[] dims, float[] values)
    {
        var raw = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        return [.. dims.SelectMany(d => Varint(1, (ulong)d)), .. Varint(2, 1), .. Field(8, Encoding.UTF8.GetBytes(name)), .. Field(9, raw)];
    }

    static byte[] Int64Tensor(string name, long[] values)
    {
        var raw = new byte[values.Length * 8];
        Buffer.BlockCopy(values, 0, raw, 0, raw.Length);
        return [.. Varint(1, (ulong)values.Length), .. Varint(2, 7), .. Field(8, Encoding.UTF8.GetBytes(name)), .. Field(9, raw)];
    }

    /// <summary>A float tensor value info; null dims are symbolic ("batch").</summary>
    static byte[] ValueInfo(string name, int?[] dims)
    {
        var shape = dims.SelectMany(d => Field(1, d is int v ? Varint(1, (ulong)v) : Field(2, Encoding.UTF8.GetBytes("batch")))).ToArray();
        var tensorType = (byte[])[.. Varint(1, 1), .. Field(2, shape)];
        return [.. Field(1, Encoding.UTF8.GetBytes(name)), .. Field(2, Field(1, tensorType))];
    }

    static byte[] Field(int number, byte[] payload) => [.. Raw((ulong)(number << 3 | 2)), .. Raw((ulong)payload.Length), .. payload];

    static byte[] Varint(int number, ulong value) => [.. Raw((ulong)(number << 3)), .. Raw(value)];

    static byte[] Raw(ulong value)
    {
        var b = new List<byte>();
        do
        {
            byte next = (byte)(value & 0x7F);
            value >>= 7;
            b.Add(value != 0 ? (byte)(next | 0x80) : next);
        } while (value != 0);
        return b.ToArray();
    }
}
