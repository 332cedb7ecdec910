using System.CommandLine;
using Augment.Report;
using Spectre.Console;

namespace Augment.Cli.Commands;

public static class ReportCommand
{
    public static Command Create()
    {
        var runDir = new Argument<string>("run-dir") { Description = "A sweep's output_dir (holds sweep.json and cells/)." };
        var cmd = new Command("report", "Write report.md, a self-contained report.html, report.json and summary.csv from a sweep's stored results.");
        cmd.Arguments.Add(runDir);
        cmd.SetAction(parse =>
        {
            try
            {
                var written = ReportWriter.Write(parse.GetValue(runDir)!);
                AnsiConsole.MarkupLineInterpolated($"Report: [link]{written.Html}[/]\n        {written.Markdown}");
                return 0;
            }
            catch (Exception e) when (e is FileNotFoundException or InvalidDataException or System.Text.Json.JsonException)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]report: {e.Message}[/]");
                return 1;
            }
        });
        return cmd;
    }
}
