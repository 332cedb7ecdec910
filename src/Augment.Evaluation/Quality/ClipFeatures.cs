using Augment.Classifier;
using Augment.Classifier.Models;
using Augment.Data.Numerics;
using static TorchSharp.torch;

namespace Augment.Evaluation.Quality;

/// <summary>Runs a classifier over a loaded clip set in eval mode: penultimate features and the predicted class of every clip.</summary>
public static class ClipFeatures
{
    public static FeatureSet Extract(VideoClassifier model, ClipSet set, Device device, int batchSize = 32)
    {
        var result = Once(model, set, device, batchSize);
        // A non-finite feature is a kernel glitch on finite weights (see "If numbers go NaN"): redo once, then refuse.
        if (result is null) result = Once(model, set, device, batchSize);
        return result ?? throw new InvalidOperationException("reference-classifier features are not finite (twice in a row); run 'augment doctor'");
    }

    static FeatureSet? Once(VideoClassifier model, ClipSet set, Device device, int batchSize)
    {
        model.eval();
        var dtype = model.parameters().First().dtype;
        var features = new double[set.Count][];
        var predicted = new int[set.Count];
        using var noGrad = no_grad();
        foreach (var rows in Enumerable.Range(0, set.Count).Chunk(batchSize))
        {
            using var scope = NewDisposeScope();
            var x = ClipBatcher.Make(set, rows, device, preprocessing: Preprocessing.For(model.Config)).to(dtype);
            var f = model.Features(x).to(ScalarType.Float64).cpu();
            var classes = model.call(x).argmax(1).cpu();
            if (NonFinite.Count(f) > 0) return null;
            int dims = (int)f.shape[1];
            var flat = f.data<double>().ToArray();
            var labels = classes.data<long>().ToArray();
            for (int i = 0; i < rows.Length; i++)
            {
                features[rows[i]] = flat.AsSpan(i * dims, dims).ToArray();
                predicted[rows[i]] = (int)labels[i];
            }
        }
        return new FeatureSet(features, set.Labels, predicted);
    }
}
