namespace Augment.Classifier;

/// <summary>
/// The order of training rows for one epoch. "sampler": N draws with replacement, each class equally likely (a scarce
/// class is seen as often as a common one); otherwise a shuffled permutation of all rows.
/// </summary>
public static class BatchSampler
{
    public static IEnumerable<int[]> Epoch(int[] labels, int classes, int batchSize, bool classBalanced, Random rng)
    {
        int n = labels.Length;
        int[] order;
        if (classBalanced)
        {
            var byClass = Enumerable.Range(0, classes).Select(c => Enumerable.Range(0, n).Where(i => labels[i] == c).ToArray())
                .Where(rows => rows.Length > 0).ToArray();
            order = new int[n];
            for (int i = 0; i < n; i++)
            {
                var rows = byClass[rng.Next(byClass.Length)];
                order[i] = rows[rng.Next(rows.Length)];
            }
        }
        else
        {
            order = Enumerable.Range(0, n).ToArray();
            rng.Shuffle(order);
        }
        return order.Chunk(batchSize);
    }
}
