using System.Diagnostics;
using Sift.Native;

namespace Sift.Tests.Native;

/// <summary>
/// The CLI copied to a read-only folder, with the library as the package ships it (unpatched). Tests
/// run as root, where file modes do not stop writes, so the CLI runs as `nobody` (setpriv) when it can.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class ReadOnlyInstallTests
{
    private static readonly string Model = Paths.Asset("models", "stories260K-hf");

    [Fact]
    public void HelpAndATorchCommandRunFromAReadOnlyInstall()
    {
        var install = ReadOnlyInstall();
        var cache = Paths.NewTempDir();
        File.SetUnixFileMode(cache, (UnixFileMode)Convert.ToInt32("777", 8));

        var (code, stdout, err) = Sift(install, cache, "--help");
        Assert.True(code == 0, err);
        Assert.Contains("Usage:", stdout);
        (code, stdout, err) = Sift(install, cache, "generate", "--model", Model, "--prompt-ids", "1 403", "--max-new-tokens", "3", "--print-ids");
        Assert.True(code == 0, err);
        Assert.Matches(@"^\d+ \d+ \d+", stdout.Trim());
        if (AsNobody) Assert.Single(Directory.GetFiles(cache, LibTorchSharpLocation.FileName, SearchOption.AllDirectories));

        // No usable cache either: help still works; a command that needs torch fails with a clear error, not a crash.
        var blocked = Path.Combine(cache, "a-file");
        File.WriteAllText(blocked, "");
        if (!AsNobody) return; // as root the install folder itself is writable, so the fallback is never needed
        (code, _, err) = Sift(install, blocked, "--help");
        Assert.True(code == 0, err);
        (code, _, err) = Sift(install, blocked, "generate", "--model", Model, "--prompt-ids", "1", "--max-new-tokens", "1");
        Assert.Equal(1, code);
        Assert.Contains("needs a one-time patch", err);
    }

    private static bool AsNobody => Environment.UserName == "root" && File.Exists("/usr/bin/setpriv");

    /// <summary>This test folder's CLI copied (large files as links), the library unpatched, every write permission removed.</summary>
    private static string ReadOnlyInstall()
    {
        var source = AppContext.BaseDirectory.TrimEnd('/');
        var install = Path.Combine(Paths.NewTempDir(), "sift");
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(install, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (Path.GetFileName(file) == LibTorchSharpLocation.FileName)
            {
                var bytes = File.ReadAllBytes(file);
                GlibcxxVersionFix.SetWeak(bytes, weak: false);
                File.WriteAllBytes(target, bytes);
            }
            else if (new FileInfo(file).Length > 1 << 20) File.CreateSymbolicLink(target, file);
            else File.Copy(file, target);
        }
        using var chmod = Process.Start("chmod", ["-R", "a-w", install])!;
        chmod.WaitForExit();
        return install;
    }

    private static (int Code, string Stdout, string Stderr) Sift(string install, string cacheHome, params string[] args)
    {
        var start = AsNobody
            ? new ProcessStartInfo("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "dotnet", Path.Combine(install, "sift.dll"), .. args])
            : new ProcessStartInfo("dotnet", [Path.Combine(install, "sift.dll"), .. args]);
        start.RedirectStandardOutput = start.RedirectStandardError = true;
        start.Environment["XDG_CACHE_HOME"] = cacheHome;
        start.Environment["HOME"] = "/nonexistent";
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout, stderr.Result);
    }
}
