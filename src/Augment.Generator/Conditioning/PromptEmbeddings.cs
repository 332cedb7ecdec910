using Augment.Data.Weights;
using static TorchSharp.torch;

namespace Augment.Generator.Conditioning;

/// <summary>
/// Text-encoder outputs computed elsewhere (UMT5-XXL for Wan, about 5.7B parameters): one safetensors file, one tensor
/// [L, text_dim] per prompt under a name of the user's choosing, the prompt's text in the metadata under the same name.
/// </summary>
public sealed class PromptEmbeddings : IDisposable
{
    readonly SafeTensorsFile file;

    public PromptEmbeddings(string path)
    {
        file = new SafeTensorsFile(path);
        var bad = file.Entries.Where(e => e.Value.Shape.Length != 2).Select(e => $"{e.Key} {e.Value.ShapeText}").ToList();
        if (bad.Count > 0) { file.Dispose(); throw new InvalidDataException($"{path}: prompt embeddings must be [L,dim], not: {string.Join(", ", bad)}"); }
    }

    public string Source => file.Source;
    public IReadOnlyCollection<string> Names => file.Entries.Keys.ToList();

    /// <summary>The prompt text stored with an embedding, or null.</summary>
    public string? Text(string name) => file.Metadata.GetValueOrDefault(name);

    /// <summary>[L,dim] float32, checked against the model's text width.</summary>
    public Tensor Read(string name, long textDim)
    {
        if (!file.Entries.TryGetValue(name, out var info))
            throw new KeyNotFoundException($"{Source}: no prompt embedding '{name}' (it has: {string.Join(", ", Names.Take(20))})");
        if (info.Shape[1] != textDim) throw new InvalidDataException($"{Source}: '{name}' is {info.ShapeText}; the transformer's text_dim is {textDim}");
        return file.Read(name).to(ScalarType.Float32);
    }

    /// <summary>The embedding whose stored text is <paramref name="text"/> (the first, if several are), as <see cref="Read"/>;
    /// <paramref name="whose"/> says in the error whose prompt it is.</summary>
    public Tensor ReadByText(string text, long textDim, string whose)
    {
        var texts = Names.Where(n => Text(n) is not null).ToList();
        var name = texts.FirstOrDefault(n => Text(n) == text)
            ?? throw new InvalidDataException($"{Source}: no prompt embedding whose text is \"{text}\" ({whose}); it holds: " +
                string.Join(", ", texts.Select(n => Text(n)!).Distinct().Take(20).Select(t => $"\"{t}\"")));
        return Read(name, textDim);
    }

    public void Dispose() => file.Dispose();
}
