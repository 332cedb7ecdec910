namespace Augment.Classifier;

/// <summary>
/// The order of training rows for one epoch of <c>draws</c> rows. "sampler": draws with replacement, each class
/// equally likely (a scarce class is seen as often as a common one); otherwise a shuffled permutation of all rows, cut
/// to <c>draws</c>. Fixing draws at the real training set's size gives every cell of a sweep the same number of
/// optimiser steps, however many synthetic rows it mixes in.
/// </summary>
public static class BatchSampler
{
    public static IEnumerable<int[]> Epoch(int[] labels, int classes, int batchSize, bool classBalanced, Random rng, int? draws = null)
    {
        int n = labels.Length, count = draws ?? n;
        int[] order;
        if (classBalanced)
        {
            var byClass = Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, n).Where(i => labels[i] == c).ToArray())
                .Where(rows => rows.Length > 0).ToArray();
            order = new int[count];
            for (int i = 0; i < count; i++)
            {
                var rows = byClass[rng.Next(byClass.Length)];
                order[i] = rows[rng.Next(rows.Length)];
            }
        }
        else
        {
            order = Enumerable.Range(0, n).ToArray();
            rng.Shuffle(order);
            if (count < n) order = order[..count];
        }
        return order.Chunk(batchSize);
    }
}
