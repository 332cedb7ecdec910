using System.CommandLine;
using System.Diagnostics;
using Augment.Cli.Commands;
using Augment.Data.Numerics;
using Spectre.Console;
using TorchSharp;
using static TorchSharp.torch;

namespace Augment.Cli.Bench;

/// <summary>
/// augment bench scalar-race: the finalizer race behind AUG001/AUG002, measured. Each form runs on one thread for
/// --seconds while another thread collects garbage and runs finalizers without pause; a call whose Scalar was freed
/// mid-call throws ("Expected false to be true" from Scalar.h) or computes a wrong sum. TorchSharp's own forms are
/// expected to fail some calls; the held ones (<see cref="HeldScalars"/>) must fail none (exit 1 if they do).
/// </summary>
public static class ScalarRaceBenchCommand
{
    public static Command Create()
    {
        var seconds = new Option<double>("--seconds") { Description = "how long each form runs", DefaultValueFactory = _ => 20 };
        var cmd = new Command("scalar-race", "Race tensor arithmetic against constant garbage collection: TorchSharp's operators vs Augment's held Scalars.") { seconds };
        cmd.SetAction(parse => CliVerb.Run(_ =>
        {
            double s = parse.GetValue(seconds);
            torch.set_num_threads(1);
            using var scope = NewDisposeScope();
            var a = randn(64);
            var b = randn(64);
            var sum = a.Plus(b);
            var half = a.Times(0.5);
#pragma warning disable AUG002 // TorchSharp's forms, run on purpose to show the race
            var forms = new (string Name, bool Held, Func<Tensor> Run, Tensor Expected)[]
            {
                ("TorchSharp a + b", false, () => a + b, sum),
                ("TorchSharp a * 0.5", false, () => a * 0.5, half),
                ("HeldScalars a.Plus(b)", true, () => a.Plus(b), sum),
                ("HeldScalars a.Times(0.5)", true, () => a.Times(0.5), half),
            };
#pragma warning restore AUG002
            var table = new Table().Title($"{s:F0} s per form against a thread that collects without pause")
                .AddColumns("form", "calls", "collections", "failed", "first failure");
            bool heldFailed = false;
            foreach (var form in forms)
            {
                var (calls, collections, failed, first) = Race(form.Run, form.Expected, s);
                heldFailed |= form.Held && failed > 0;
                table.AddRow(Markup.Escape(form.Name), $"{calls:N0}", $"{collections:N0}", $"{failed:N0}", Markup.Escape(first ?? ""));
            }
            AnsiConsole.Write(table);
            if (heldFailed) AnsiConsole.MarkupLine("[red]a held form failed: a Scalar is still freed during a native call[/]");
            return heldFailed ? 1 : 0;
        }));
        return cmd;
    }

    static (long Calls, long Collections, long Failed, string? First) Race(Func<Tensor> run, Tensor expected, double seconds)
    {
        bool stop = false;
        long collections = 0, calls = 0, failed = 0;
        string? first = null;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        });
        collector.Start();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            using var scope = NewDisposeScope();
            try
            {
                if (!run().eq(expected).all().item<bool>()) { failed++; first ??= "wrong result"; }
            }
            catch (Exception e)
            {
                failed++;
                first ??= e.Message.Split('\n')[0].Split(" (Could")[0];
            }
            calls++;
        }
        Volatile.Write(ref stop, true);
        collector.Join();
        return (calls, collections, failed, first);
    }
}
