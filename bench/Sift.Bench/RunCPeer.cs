using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Sift.Bench;

/// <summary>llama2.c's run.c built with gcc -O3 on this machine: the decode-speed peer.</summary>
public static partial class RunCPeer
{
    public static string Build(string runC)
    {
        var output = Path.Combine(Path.GetTempPath(), $"sift-bench-run-{Environment.ProcessId}");
        Exec("gcc", ["-O3", "-o", output, runC, "-lm"]);
        return output;
    }

    /// <summary>Runs greedy decoding from BOS and returns run.c's own "achieved tok/s" and the number of tokens printed.</summary>
    public static (double TokensPerSecond, int Tokens) Decode(string binary, string checkpoint, int vocabSize, int steps)
    {
        var tokenizer = Path.Combine(Path.GetTempPath(), $"sift-bench-tok-{Environment.ProcessId}.bin");
        using (var w = new BinaryWriter(File.Create(tokenizer)))
        {
            w.Write(16);
            for (int i = 0; i < vocabSize; i++) { var piece = Encoding.ASCII.GetBytes($"[{i}]"); w.Write(0f); w.Write(piece.Length); w.Write(piece); }
        }
        var (stdout, stderr) = Exec(binary, [checkpoint, "-z", tokenizer, "-t", "0", "-n", steps.ToString()]);
        var rate = AchievedPattern().Match(stderr);
        if (!rate.Success) throw new InvalidOperationException("run.c printed no tok/s: " + stderr);
        return (double.Parse(rate.Groups[1].Value, CultureInfo.InvariantCulture), Regex.Matches(stdout, @"\[\d+\]").Count);
    }

    private static (string Stdout, string Stderr) Exec(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} failed: {err.Result}");
        return (output, err.Result);
    }

    [GeneratedRegex(@"achieved tok/s: ([0-9.]+)")]
    private static partial Regex AchievedPattern();
}
