using static TorchSharp.torch;

namespace Augment.Data.Weights;

/// <summary>Name, shape and element type of one stored tensor, known before its data is read.</summary>
public sealed record TensorInfo(long[] Shape, ScalarType Dtype)
{
    public string ShapeText => $"[{string.Join(",", Shape)}]";
}

/// <summary>
/// A state dict on disk (one safetensors file, a sharded checkpoint, a PyTorch pickle): its tensor names and shapes are
/// known up front, so a loader checks a whole checkpoint against a model before it reads a byte of data, and tensors are
/// read one at a time, so loading a 14B model never holds it twice.
/// </summary>
public interface IStateDict : IDisposable
{
    /// <summary>The file or files, for messages.</summary>
    string Source { get; }
    IReadOnlyDictionary<string, TensorInfo> Entries { get; }
    /// <summary>safetensors' <c>__metadata__</c> (string to string); empty for pickles.</summary>
    IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>A new CPU tensor holding the stored values in their stored dtype; the caller disposes it.</summary>
    Tensor Read(string name);
}
