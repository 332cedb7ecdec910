using Microsoft.ML;
using Microsoft.ML.Data;

namespace Augment.Classifier;

/// <summary>
/// Test-set metrics. ML.NET's multiclass evaluator supplies accuracy, balanced (macro) accuracy, per-class precision and
/// recall and the confusion matrix; F1 and the macro/weighted averages are derived here. Macro averages run over the
/// classes that occur in the labels or the predictions (as scikit-learn does without an explicit label list); an
/// undefined precision or recall (0/0) counts as 0.
/// </summary>
public static class Metrics
{
    public static EvaluationMetrics Compute(IReadOnlyList<string> classes, int[] labels, float[][] scores)
    {
        int k = classes.Count;
        if (labels.Length != scores.Length) throw new ArgumentException($"{labels.Length} labels but {scores.Length} score rows");
        if (labels.Length == 0) throw new ArgumentException("no examples to evaluate");
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0 || labels[i] >= k) throw new ArgumentException($"label {labels[i]} of example {i} is outside 0..{k - 1}");
            if (scores[i].Length != k) throw new ArgumentException($"example {i} has {scores[i].Length} scores, expected {k}");
        }

        var ml = new MLContext(seed: 0);
        var schema = SchemaDefinition.Create(typeof(ScoredRow));
        schema[nameof(ScoredRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), k);
        schema[nameof(ScoredRow.PredictedLabel)].ColumnType = new KeyDataViewType(typeof(uint), k);
        schema[nameof(ScoredRow.Score)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, k);
        // Keys loaded this way are taken as 0-based class indices (the evaluator's confusion rows follow the raw value);
        // the prediction comes from the score vector.
        var rows = labels.Select((label, i) => new ScoredRow
        {
            Label = (uint)label,
            PredictedLabel = (uint)ArgMax(scores[i]),
            Score = scores[i],
        });
        var result = ml.MulticlassClassification.Evaluate(ml.Data.LoadFromEnumerable(rows, schema));

        var confusion = new int[k][];
        for (int a = 0; a < k; a++)
        {
            confusion[a] = new int[k];
            for (int p = 0; p < k; p++) confusion[a][p] = (int)Math.Round(result.ConfusionMatrix.Counts[a][p]);
        }

        var perClass = new List<ClassMetrics>(k);
        var present = new List<int>();
        for (int c = 0; c < k; c++)
        {
            int support = confusion[c].Sum(), predicted = confusion.Sum(row => row[c]);
            double precision = predicted == 0 ? 0 : Finite(result.ConfusionMatrix.PerClassPrecision[c]);
            double recall = support == 0 ? 0 : Finite(result.ConfusionMatrix.PerClassRecall[c]);
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass.Add(new ClassMetrics(classes[c], precision, recall, f1, support));
            if (support > 0 || predicted > 0) present.Add(c);
        }

        double total = labels.Length;
        return new EvaluationMetrics
        {
            Classes = classes.ToArray(),
            Accuracy = result.MicroAccuracy,
            BalancedAccuracy = result.MacroAccuracy,
            MacroPrecision = present.Average(c => perClass[c].Precision),
            MacroRecall = present.Average(c => perClass[c].Recall),
            MacroF1 = present.Average(c => perClass[c].F1),
            WeightedPrecision = perClass.Sum(m => m.Precision * m.Support) / total,
            WeightedRecall = perClass.Sum(m => m.Recall * m.Support) / total,
            WeightedF1 = perClass.Sum(m => m.F1 * m.Support) / total,
            PerClass = perClass,
            Confusion = confusion,
            LogLoss = result.LogLoss,
            Videos = labels.Length,
            Windows = labels.Length,
        };
    }

    /// <summary>
    /// Per-video metrics (MMAction2's average_clips='prob'): the probabilities of a video's windows are averaged, and
    /// the video is scored once. The per-window metrics ride along as <see cref="EvaluationMetrics.PerWindow"/>.
    /// </summary>
    public static EvaluationMetrics ComputePerVideo(IReadOnlyList<string> classes, IReadOnlyList<string> videos, int[] labels, float[][] scores)
    {
        var perWindow = Compute(classes, labels, scores);
        var byVideo = AverageByVideo(videos, scores);
        var videoLabels = byVideo.Select(v => labels[v.FirstWindow]).ToArray();
        return Compute(classes, videoLabels, byVideo.Select(v => v.Mean).ToArray()) with { Windows = labels.Length, PerWindow = perWindow };
    }

    /// <summary>Each video's window probabilities averaged (MMAction2's average_clips='prob'), in first-seen order, with the index of its first window.</summary>
    public static List<(string Video, int FirstWindow, float[] Mean)> AverageByVideo(IReadOnlyList<string> videos, IReadOnlyList<float[]> scores) =>
        Enumerable.Range(0, videos.Count).GroupBy(i => videos[i], StringComparer.Ordinal)
            .Select(g => (g.Key, g.First(), Enumerable.Range(0, scores[g.First()].Length).Select(c => (float)g.Average(i => scores[i][c])).ToArray()))
            .ToList();

    public static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
        return best;
    }

    static double Finite(double v) => double.IsFinite(v) ? v : 0;

    sealed class ScoredRow
    {
        public uint Label { get; set; }
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
    }
}
