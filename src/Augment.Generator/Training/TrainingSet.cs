using Augment.Data;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Augment.Generator.Models.Native;
using static TorchSharp.torch;

namespace Augment.Generator.Training;

/// <summary>Training clips at the model's size with their prompt bags, held in memory (tiny to small datasets).</summary>
public sealed class TrainingSet
{
    public TrainingSet(Tensor clips, Tensor bags, IReadOnlyList<string> labels)
    {
        if (clips.shape[0] == 0) throw new InvalidOperationException("no training clips: the generator needs at least one readable training clip");
        Clips = clips; Bags = bags; Labels = labels;
    }

    /// <summary>[N,3,T,H,W] in [-1,1].</summary>
    public Tensor Clips { get; }
    /// <summary>[N, buckets] prompt bags.</summary>
    public Tensor Bags { get; }
    public IReadOnlyList<string> Labels { get; }
    public List<QuarantineEntry> Quarantined { get; } = [];
    public int Count => (int)Clips.shape[0];

    public static TrainingSet FromClips(IReadOnlyList<(Clip Clip, string Label, string Prompt)> items, NativeModelConfig model)
    {
        var clips = stack(items.Select(i => ClipTensors.ToModel(i.Clip, model.Frames, model.Height, model.Width)).ToArray());
        return new TrainingSet(clips, PromptBag.Batch(items.Select(i => i.Prompt).ToList(), model.PromptBuckets), items.Select(i => i.Label).ToList());
    }

    /// <summary>Every TRAINING-split clip of the datasets, prompted by its class prompt; unreadable videos are quarantined.</summary>
    public static TrainingSet Load(IEnumerable<Dataset> datasets, ClipSpec spec, ClipCache cache, NativeModelConfig model)
    {
        var items = new List<(Clip, string, string)>();
        var quarantined = new List<QuarantineEntry>();
        foreach (var dataset in datasets)
            foreach (var clip in dataset.Split(Splits.Train))
            {
                try { items.Add((cache.Get(clip, spec), clip.Label, PromptOf(dataset, clip.Label))); }
                catch (VideoReadException e) { quarantined.Add(new QuarantineEntry(e.VideoPath, e.Problem, QuarantineKind.Unreadable)); }
            }
        if (items.Count == 0)
            throw new InvalidOperationException($"no readable training clips in {string.Join(", ", datasets.Select(d => d.Name))}");
        var set = FromClips(items, model);
        set.Quarantined.AddRange(quarantined);
        return set;
    }

    /// <summary>Every clip of the corpora, prompted by its own caption (labelled with its corpus); unreadable videos are quarantined.</summary>
    public static TrainingSet FromCorpora(IEnumerable<CaptionedCorpus> corpora, ClipSpec spec, ClipCache cache, NativeModelConfig model)
    {
        var items = new List<(Clip, string, string)>();
        var quarantined = new List<QuarantineEntry>();
        var list = corpora.ToList();
        foreach (var corpus in list)
            foreach (var clip in corpus.Clips)
            {
                try { items.Add((cache.Get(new ClipRef(clip.Path, corpus.Name, Splits.Train, clip.Path), spec), corpus.Name, clip.Caption)); }
                catch (VideoReadException e) { quarantined.Add(new QuarantineEntry(e.VideoPath, e.Problem, QuarantineKind.Unreadable)); }
            }
        if (items.Count == 0) throw new InvalidOperationException($"no readable clips in corpus {string.Join(", ", list.Select(c => c.CaptionsFile))}");
        var set = FromClips(items, model);
        set.Quarantined.AddRange(quarantined);
        return set;
    }

    /// <summary>The class prompt, or the class name itself when the dataset has no prompt for it.</summary>
    public static string PromptOf(Dataset dataset, string label) =>
        dataset.Prompts.TryGetValue(label, out var p) && !string.IsNullOrWhiteSpace(p) ? p : label.Replace('_', ' ');
}
