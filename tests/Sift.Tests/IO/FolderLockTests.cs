using System.Diagnostics;
using Sift.IO;

namespace Sift.Tests.IO;

public class FolderLockTests
{
    [Fact]
    public void AFolderLockedByAnotherProcessIsRefusedNamingItsPid()
    {
        var dir = Paths.NewTempDir();
        using var holder = new LockHolder(Path.Combine(dir, FolderLock.FileName));
        var e = Assert.Throws<SiftException>(() => FolderLock.Acquire(dir));
        Assert.Equal($"{dir} is in use by sift process {holder.Process.Id} (started test start); wait for it or stop it", e.Message);
    }

    [Fact]
    public void ALockLeftByAKilledProcessDoesNotBlock()
    {
        var dir = Paths.NewTempDir();
        var holder = new LockHolder(Path.Combine(dir, FolderLock.FileName));
        holder.Kill();
        holder.Dispose();
        Assert.True(File.Exists(Path.Combine(dir, FolderLock.FileName)));
        using var folderLock = FolderLock.Acquire(dir);
    }

    [Fact]
    public void TheLockIsAnOsLockThatOtherProcessesSeeAndNamesThisProcess()
    {
        var dir = Paths.NewTempDir();
        var path = Path.Combine(dir, FolderLock.FileName);
        using (FolderLock.Acquire(dir))
        {
            Assert.Equal(1, FlockTool(path));
            Assert.StartsWith($"{Environment.ProcessId}\n", ReadWithCat(path));
        }
        Assert.Equal(0, FlockTool(path)); // released on Dispose
    }

    [Fact]
    public void ScoreMergeAndPipelineRefuseAnOutputInUse()
    {
        var dir = Paths.NewTempDir();
        var stem = Path.Combine(dir, "scores");
        using (var holder = new LockHolder(stem + FolderLock.FileName))
        {
            var (code, _, err) = CliRunner.Run("score", "merge", "--out", stem);
            Assert.Equal(1, code);
            Assert.Contains($"{stem} is in use by sift process {holder.Process.Id}", err);
        }

        var runDir = Path.Combine(dir, "run");
        Directory.CreateDirectory(runDir);
        var recipe = Path.Combine(dir, "pipeline.yaml");
        var data = Path.Combine(dir, "data.jsonl");
        File.WriteAllText(data, "{\"prompt\": \"a\", \"completion\": \"b\"}\n");
        File.WriteAllText(recipe, $"run_dir: x\nstages:\n  a:\n    command: [data, split, {data}, --out, \"${{out}}\"]\n");
        using (var holder = new LockHolder(Path.Combine(runDir, FolderLock.FileName)))
        {
            var (code, _, err) = CliRunner.Run("pipeline", recipe, "--run-dir", runDir);
            Assert.Equal(1, code);
            Assert.Contains($"{runDir} is in use by sift process {holder.Process.Id}", err);
            Assert.Equal(0, CliRunner.Run("pipeline", recipe, "--run-dir", runDir, "--dry-run").ExitCode); // a dry run writes nothing
        }
    }

    /// <summary>util-linux flock's exit code for a non-blocking attempt: 0 = got it, 1 = held elsewhere.</summary>
    private static int FlockTool(string path)
    {
        using var p = Process.Start("flock", ["-n", "-E", "1", path, "true"])!;
        p.WaitForExit();
        return p.ExitCode;
    }

    private static string ReadWithCat(string path)
    {
        using var p = Process.Start(new ProcessStartInfo("cat", [path]) { RedirectStandardOutput = true })!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return text;
    }
}
