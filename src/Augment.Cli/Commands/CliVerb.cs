using Augment.Data.Numerics;
using Augment.Data.Datasets;
using Augment.Data.Video;
using Spectre.Console;

namespace Augment.Cli.Commands;

/// <summary>
/// How every training, generation and evaluation verb ends: bad input gives one clear line and exit 2 (no stack trace),
/// Ctrl+C stops cleanly at the next step with exit 130 (the work so far is checkpointed and a rerun resumes), and a
/// run stopped by too many non-finite training steps gives exit 3.
/// </summary>
static class CliVerb
{
    public static int Run(Func<CancellationToken, int> verb, string resumeHint = "run the same command again to resume")
    {
        using var cancel = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            ComputePath.Ensure();
            return verb(cancel.Token);
        }
        catch (NonFiniteTrainingException e)
        {
            AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
            return 3;
        }
        catch (OperationCanceledException)
        {
            AnsiConsole.MarkupLine($"[yellow]stopped; {Markup.Escape(resumeHint)}[/]");
            return 130;
        }
        catch (Exception e) when (e is InvalidDataException or FileNotFoundException or DirectoryNotFoundException or ArgumentException
                                      or InvalidOperationException or KeyNotFoundException or DatasetSpecException or VideoReadException
                                      or Augment.Data.Weights.StateDictMismatchException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
