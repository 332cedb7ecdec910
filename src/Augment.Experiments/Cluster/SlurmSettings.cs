namespace Augment.Experiments.Cluster;

/// <summary>What one kind of Slurm job asks for; null leaves it to the cluster's defaults.</summary>
public sealed record SlurmResources(string? Time = null, int? Cpus = null, string? Mem = null, string? Gres = null);

/// <summary>
/// `slurm:` in experiments.yaml: where and how the sweep's jobs run. Generators: the job that pretrains, adapts and
/// generates (the cells wait for it); cells: each array task trains one cell; report: the last job.
/// </summary>
public sealed record SlurmSettings
{
    public string? Partition { get; init; }
    public string? Account { get; init; }
    public string? Qos { get; init; }
    /// <summary>Array tasks running at once (sbatch --array=…%N).</summary>
    public int MaxParallel { get; init; } = 4;
    /// <summary>Shell lines run first in every job (module load …, environment).</summary>
    public string? Setup { get; init; }
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
    public SlurmResources Generators { get; init; } = new();
    public SlurmResources Cells { get; init; } = new();
    public SlurmResources Report { get; init; } = new();
}
