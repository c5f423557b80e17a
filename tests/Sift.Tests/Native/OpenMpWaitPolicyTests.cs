using System.Diagnostics;
using Sift.Native;

namespace Sift.Tests.Native;

/// <summary>
/// What libgomp itself reports (OMP_DISPLAY_ENV=VERBOSE prints its settings as it loads) in a CLI
/// process: a short spin by default (GOMP_SPINCOUNT 1000, where libgomp alone would spin 300000),
/// the user's choice when they made one.
/// </summary>
public class OpenMpWaitPolicyTests
{
    [Fact]
    public void LibgompSpinsBrieflyUnlessTheUserChose()
    {
        Assert.Contains($"GOMP_SPINCOUNT = '{OpenMpWaitPolicy.SpinCount}'", LibgompSettings([]));
        var active = LibgompSettings([(OpenMpWaitPolicy.Variable, "ACTIVE")]);
        Assert.Contains("OMP_WAIT_POLICY = 'ACTIVE'", active);
        Assert.Contains("GOMP_SPINCOUNT = '30000000000'", active);
        Assert.Contains("GOMP_SPINCOUNT = '0'", LibgompSettings([(OpenMpWaitPolicy.Variable, "PASSIVE")]));
        Assert.Contains("GOMP_SPINCOUNT = '5000'", LibgompSettings([(OpenMpWaitPolicy.SpinCountVariable, "5000")]));
    }

    /// <summary>The stderr of a small torch command (a 3-token generation) run with the given OpenMP variables and no others.</summary>
    private static string LibgompSettings((string Name, string Value)[] variables)
    {
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "sift.dll"), "generate", "--model", Paths.Asset("models", "stories260K-hf"),
                                                    "--prompt-ids", "1 403", "--max-new-tokens", "3", "--print-ids"])
        { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment.Remove(OpenMpWaitPolicy.Variable);
        start.Environment.Remove(OpenMpWaitPolicy.SpinCountVariable);
        start.Environment["OMP_DISPLAY_ENV"] = "VERBOSE";
        foreach (var (name, value) in variables) start.Environment[name] = value;
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);
        Assert.Matches(@"^\d+ \d+ \d+", stdout.Result.Trim());
        return stderr;
    }
}
