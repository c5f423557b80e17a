namespace Sift.Tests;

/// <summary>Locations tests read from: the repository, its test data, and the shared assets beside the checkout.</summary>
public static class Paths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>../shared/assets beside the checkout (CI has it there too).</summary>
    public static string SharedAssets => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "assets"));

    public static string TestData => Path.Combine(RepoRoot, "tests", "data");

    public static string Asset(params string[] parts) => Path.Combine([SharedAssets, .. parts]);

    /// <summary>
    /// This test process's folder under the system temp folder, deleted by the next test run (<see cref="TestSetup"/>).
    /// </summary>
    public static string TempRoot { get; } = Path.Combine(Path.GetTempPath(), $"{TempRootPrefix}{Environment.ProcessId}");

    public const string TempRootPrefix = "sift-tests-";

    /// <summary>A fresh empty folder under <see cref="TempRoot"/>, unique per call.</summary>
    public static string NewTempDir(string prefix = "sift-test")
    {
        var dir = Path.Combine(TempRoot, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Sift.slnx"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Sift.slnx not found above " + AppContext.BaseDirectory);
    }
}
