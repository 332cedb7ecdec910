using Augment.Data.Numerics;
using System.Text.Json;
using Augment.Classifier.Models;
using Augment.Data;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using AdamW = Augment.Data.Numerics.AdamW;

namespace Augment.Classifier;

/// <summary>Where a run stands after a finished epoch; stored at the front of every checkpoint.</summary>
public sealed record CheckpointState
{
    public required ModelConfig Model { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required ClipSpec Spec { get; init; }
    /// <summary>Last finished epoch (1-based; 0 before training).</summary>
    public int Epoch { get; init; }
    /// <summary>Optimizer steps taken so far (drives the learning-rate schedule).</summary>
    public long Step { get; init; }
    /// <summary>Steps skipped so far for a non-finite loss or gradient.</summary>
    public int SkippedSteps { get; init; }
    public double BestValMacroF1 { get; init; } = double.NegativeInfinity;
    public double BestValLoss { get; init; } = double.PositiveInfinity;
    public int BestEpoch { get; init; }
    public int EpochsWithoutImprovement { get; init; }
    public IReadOnlyList<EpochReport> History { get; init; } = [];
    /// <summary>float32; bfloat16 in checkpoints trained on CUDA before training kept float32 master weights.</summary>
    public string Precision { get; init; } = "float32";
    public ClassifierOptions? Options { get; init; }
}

/// <summary>
/// One file per checkpoint: a magic tag, the JSON <see cref="CheckpointState"/>, the model's weights and buffers
/// (TorchSharp format) and optionally the optimizer state. Written atomically, so a killed run leaves the previous file.
/// </summary>
public static class Checkpoint
{
    // -2: the optimizer state is Augment's AdamW (TorchSharp's before).
    const string Magic = "AUGMENT-CLASSIFIER-CKPT-2";

    public static void Save(string path, CheckpointState state, VideoClassifier model, AdamW? optimizer)
    {
        // The last line of defence: a checkpoint never stores NaN/Inf over a good one.
        foreach (var (name, value) in model.state_dict())
            if (NonFinite.Count(value) > 0)
                throw new InvalidOperationException($"{path}: '{name}' holds NaN/Inf; checkpoint not written");
        AtomicFile.Write(path, tmp =>
        {
            using var file = new FileStream(tmp, FileMode.Create, FileAccess.Write);
            using (var writer = new BinaryWriter(file, System.Text.Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(Magic);
                writer.Write(JsonSerializer.Serialize(state, AtomicFile.Json));
                model.save(writer);
                writer.Write(optimizer is not null);
                optimizer?.Save(writer);
            }
            file.Flush(flushToDisk: true);
        });
    }

    public static CheckpointState ReadState(string path)
    {
        using var reader = Open(path, out var state);
        return state;
    }

    /// <summary>Rebuilds the model on the CPU in float32 and loads its weights (and the optimizer's state when given).</summary>
    public static (VideoClassifier Model, CheckpointState State) Load(string path, Func<VideoClassifier, AdamW>? optimizerFor = null)
    {
        using var reader = Open(path, out var state);
        var model = ClassifierModels.Create(state.Model);
        try
        {
            if (state.Precision == "bfloat16") model.to(ScalarType.BFloat16);
            model.load(reader);
            if (state.Precision == "bfloat16") model.to(ScalarType.Float32);
            bool hasOptimizer = reader.ReadBoolean();
            if (optimizerFor is not null)
            {
                if (!hasOptimizer) throw new InvalidDataException($"{path}: holds no optimizer state, cannot resume from it");
                optimizerFor(model).Load(reader);
            }
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidOperationException or InvalidDataException)
        {
            model.Dispose();
            throw new InvalidDataException($"{path}: damaged or incompatible classifier checkpoint ({e.Message})", e);
        }
        return (model, state);
    }

    static BinaryReader Open(string path, out CheckpointState state)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint {path} does not exist", path);
        var reader = new BinaryReader(File.OpenRead(path));
        try
        {
            var magic = reader.ReadString();
            if (magic != Magic)
                throw new InvalidDataException(magic.StartsWith("AUGMENT-CLASSIFIER-CKPT-", StringComparison.Ordinal)
                    ? $"{path}: written by another version of Augment ({magic}, this one reads {Magic}); train afresh in a new folder"
                    : $"{path}: not an Augment classifier checkpoint");
            state = JsonSerializer.Deserialize<CheckpointState>(reader.ReadString(), AtomicFile.Json)
                    ?? throw new InvalidDataException($"{path}: empty checkpoint header");
            return reader;
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException)
        {
            reader.Dispose();
            throw new InvalidDataException($"{path}: damaged classifier checkpoint ({e.Message})", e);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }
}
