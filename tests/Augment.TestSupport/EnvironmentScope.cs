namespace Augment.Tests.Experiments.Tracking;

/// <summary>Sets environment variables for one test and puts the old values back.</summary>
sealed class EnvironmentScope : IDisposable
{
    readonly Dictionary<string, string?> _previous = [];

    public EnvironmentScope(Dictionary<string, string?> values)
    {
        foreach (var (name, value) in values)
        {
            _previous[name] = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in _previous) Environment.SetEnvironmentVariable(name, value);
    }
}
