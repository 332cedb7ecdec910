namespace Augment.Data.Datasets.Adapters;

/// <summary>Every dataset adapter by the name a spec's `adapter:` gives it: adding one is its own file plus one line here.</summary>
public static class DatasetAdapters
{
    static readonly (string Name, Func<DatasetSpec, AdapterResult> Read)[] All =
    [
        ("medvidcl", MedVidClAdapter.Read),
        ("hyperkvasir", spec => HyperKvasirAdapter.Read(spec, spec.Mapping ?? DatasetLoader.BundledFile("hyperkvasir", "findings.yaml"))),
        ("surgvisdom", SurgVisDomAdapter.Read),
        ("folder", FolderAdapter.Read),
        ("manifest", ManifestAdapter.Read),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(a => a.Name).ToList();

    internal static AdapterResult Read(DatasetSpec spec) =>
        All.FirstOrDefault(a => a.Name.Equals(spec.Adapter, StringComparison.OrdinalIgnoreCase)).Read?.Invoke(spec)
        ?? throw new ArgumentException($"dataset '{spec.Name}': unknown adapter '{spec.Adapter}' (expected: {string.Join(", ", Names)})");
}
