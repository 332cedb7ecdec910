using Spectre.Console;

namespace Augment.Tests;

/// <summary>Runs a CLI action with Console.Out and Spectre's console both captured, wide enough that lines do not wrap.</summary>
public static class CliCapture
{
    public static (int Code, string Out) Run(Func<int> action)
    {
        var writer = new StringWriter();
        var previousOut = Console.Out;
        var previousAnsi = AnsiConsole.Console;
        var ansi = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        ansi.Profile.Width = 400;
        Console.SetOut(writer);
        AnsiConsole.Console = ansi;
        try { return (action(), writer.ToString()); }
        finally
        {
            Console.SetOut(previousOut);
            AnsiConsole.Console = previousAnsi;
        }
    }
}
