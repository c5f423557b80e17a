namespace Sift.Cli.Commands;

/// <summary>
/// Input files checked before a command starts work, so a missing one is a one-line error naming the
/// file and the option (or recipe key) that gave it, never a raw "Could not find file".
/// </summary>
public static class InputFiles
{
    /// <param name="source">Where the path came from: an option ("--data"), an argument ("IN") or a recipe key ("data.train").</param>
    /// <param name="what">What the file is, for the message ("data file", "score table").</param>
    public static string Require(string path, string source, string what = "data file") =>
        File.Exists(path) ? path
        : Directory.Exists(path) ? throw new SiftException($"{path}: is a folder, not a {what} ({source})")
        : throw new SiftException($"{path}: {what} not found ({source})");

    public static string? RequireIfGiven(string? path, string source, string what = "data file") =>
        path == null ? null : Require(path, source, what);
}
