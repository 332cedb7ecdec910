namespace Augment.Data.Datasets;

/// <summary>Spec → adapter → splits → scarcity.</summary>
public static class DatasetLoader
{
    public static Dataset Load(DatasetSpec spec) => throw new NotImplementedException();
}
