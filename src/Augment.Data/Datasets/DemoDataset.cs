namespace Augment.Data.Datasets;

/// <summary>Renders the embedded, clearly synthetic demo dataset so everything runs with no downloads.</summary>
public static class DemoDataset
{
    /// <summary>Writes the demo videos and a spec-ready layout under outDir; returns the spec that loads it.</summary>
    public static DatasetSpec Render(string outDir, long seed = 0) => throw new NotImplementedException();
}
