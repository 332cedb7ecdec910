using Augment.Classifier.Models;
using Augment.Data;
using Augment.Data.Weights;

namespace Augment.Classifier;

/// <summary>
/// What loading a published checkpoint into a classifier did (pretrained.json of the run): the file and its sha256, the
/// prefixes taken off its names, how many tensors were loaded, and the head: tensors of another shape (another class
/// count) that were replaced by fresh ones, head tensors the file lacked, and the file's own head tensors (MMAction2's
/// cls_head) that were skipped.
/// </summary>
public sealed record PretrainedReport(string Path, string Sha256, string? NestedUnder, IReadOnlyList<string> StrippedPrefixes, int Loaded,
    IReadOnlyList<string> HeadReplaced, IReadOnlyList<string> HeadNew, IReadOnlyList<string> Skipped)
{
    public string Summary => $"{Loaded} tensors from {Path}"
        + (StrippedPrefixes.Count > 0 ? $" (prefix {string.Join(" + ", StrippedPrefixes)} removed)" : "")
        + (HeadReplaced.Count > 0 ? $"; head replaced for the dataset's classes: {string.Join("; ", HeadReplaced)}" : "")
        + (HeadNew.Count > 0 ? $"; new head (not in the file): {string.Join(", ", HeadNew)}" : "")
        + (Skipped.Count > 0 ? $"; skipped: {string.Join(", ", Skipped)}" : "");
}

/// <summary>
/// Loads torchvision's or MMAction2's checkpoints (.pth, flat or nested under state_dict/model; .safetensors) into a
/// <see cref="IPretrainedBackbone"/> strictly: names are matched after removing DataParallel's <c>module.</c> and
/// MMAction2's <c>backbone.</c> prefixes; anything missing, unexpected or of another shape is an error listing the names,
/// except the classification head, which is replaced when its shape differs (a new class list) and reported.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>Prefixes removed from the front of every name, in this order (DataParallel, then MMAction2's recognizer).</summary>
    public static readonly IReadOnlyList<string> Prefixes = ["module.", "backbone."];

    /// <summary>MMAction2's recognizers keep their head beside the backbone; its tensors are the file's head, never the model's.</summary>
    const string MmActionHead = "cls_head.";

    public static PretrainedReport Load(VideoClassifier model, string path)
    {
        if (model is not IPretrainedBackbone backbone)
            throw new ArgumentException($"{path}: classifier '{model.Config.Kind}' is Augment's own; pretrained weights load into torchvision's architectures only (r3d_18, mc3_18, r2plus1d_18, s3d, resnet18)");
        using var file = StateDicts.Open(path);
        var stripped = new SortedSet<string>(StringComparer.Ordinal);
        var skipped = new List<string>();
        string Strip(string name)
        {
            foreach (var prefix in Prefixes)
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    name = name[prefix.Length..];
                    stripped.Add(prefix);
                }
            return name;
        }
        bool fileHasHead = file.Entries.Keys.Any(k => Strip(k).StartsWith(backbone.HeadPrefix, StringComparison.Ordinal));
        var options = new LoadOptions
        {
            Rename = name =>
            {
                var bare = Strip(name);
                if (!bare.StartsWith(MmActionHead, StringComparison.Ordinal)) return bare;
                skipped.Add(name);
                return null;
            },
            MayBeReplaced = name => name.StartsWith(backbone.HeadPrefix, StringComparison.Ordinal),
            // A backbone-only file (or MMAction2's, whose head is cls_head) leaves the model's fresh head in place.
            MayBeMissing = name => !fileHasHead && name.StartsWith(backbone.HeadPrefix, StringComparison.Ordinal),
        };
        var report = StateDictLoader.Load(model, file, options);
        return new PretrainedReport(path, FileHash.Sha256(path), (file as PickleStateDict)?.Nested, [.. stripped], report.Loaded,
            report.Replaced, report.Missing, skipped);
    }
}
