using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Sift.Tests.Reference;

/// <summary>
/// llama2.c's run.c (../shared/assets/reference/llama2c/run.c), built once per test run with gcc:
/// an independent Llama forward pass and greedy sampler to compare Sift against.
/// </summary>
public static partial class RunC
{
    private static readonly Lazy<string> Binary = new(Build);

    /// <summary>Greedy ids from BOS alone (run.c -t 0 -n steps), read with a placeholder tokenizer whose piece i is "[i]".</summary>
    public static int[] GreedyIdsFromBos(string checkpoint, int vocabSize, int steps)
    {
        var dir = Paths.NewTempDir("runc-tok");
        var tokenizer = Path.Combine(dir, "ids.bin");
        WritePlaceholderTokenizer(tokenizer, vocabSize);
        var stdout = Run(checkpoint, "-z", tokenizer, "-t", "0", "-n", steps.ToString());
        return IdPattern().Matches(stdout).Select(m => int.Parse(m.Groups[1].Value)).ToArray();
    }

    /// <summary>Greedy text (run.c -t 0 -n steps -i prompt) with a real llama2.c tokenizer.bin.</summary>
    public static string GreedyText(string checkpoint, string tokenizerBin, int steps, string? prompt = null)
    {
        var args = new List<string> { checkpoint, "-z", tokenizerBin, "-t", "0", "-n", steps.ToString() };
        if (prompt != null) args.AddRange(["-i", prompt]);
        return Run([.. args]);
    }

    public static string Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Binary.Value) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"run.c failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }

    /// <summary>llama2.c's tokenizer.bin layout: max_token_length, then per id: score (f32), length (i32), bytes.</summary>
    public static void WritePlaceholderTokenizer(string path, int vocabSize)
    {
        using var w = new BinaryWriter(File.Create(path));
        w.Write(16);
        for (int i = 0; i < vocabSize; i++)
        {
            var piece = Encoding.ASCII.GetBytes($"[{i}]");
            w.Write(0f);
            w.Write(piece.Length);
            w.Write(piece);
        }
    }

    private static string Build()
    {
        var source = Paths.Asset("reference", "llama2c", "run.c");
        var output = Path.Combine(Paths.NewTempDir("runc"), "run");
        var psi = new ProcessStartInfo("gcc", ["-O2", "-o", output, source, "-lm"]) { RedirectStandardError = true };
        using var gcc = Process.Start(psi)!;
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0) throw new InvalidOperationException("gcc could not build run.c: " + errors);
        return output;
    }

    [GeneratedRegex(@"\[(\d+)\]")]
    private static partial Regex IdPattern();
}
