using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.CompilerServices;

namespace Sift.Cli.Commands;

/// <summary>
/// Input files checked before a command starts work, so a missing one is a one-line error naming the
/// file and the option (or recipe key) that gave it, never a raw "Could not find file". Options and
/// arguments that name inputs are marked where they are declared (<see cref="Input{T}"/>), so a
/// pipeline knows what a stage reads from the command's own definition.
/// </summary>
public static class InputFiles
{
    private static readonly ConditionalWeakTable<Symbol, Func<string, string>> Marked = new();

    /// <param name="source">Where the path came from: an option ("--data"), an argument ("IN") or a recipe key ("data.train").</param>
    /// <param name="what">What the file is, for the message ("data file", "score table").</param>
    public static string Require(string path, string source, string what = "data file") =>
        File.Exists(path) ? path
        : Directory.Exists(path) ? throw new SiftException($"{path}: is a folder, not a {what} ({source})")
        : throw new SiftException($"{path}: {what} not found ({source})");

    public static string? RequireIfGiven(string? path, string source, string what = "data file") =>
        path == null ? null : Require(path, source, what);

    /// <summary>Marks an option or argument whose values are files or folders the command reads.</summary>
    /// <param name="pathOf">The path in a value that carries more (`data merge`'s FILE:FORMAT:COLUMNS); the whole value by default.</param>
    public static T Input<T>(this T symbol, Func<string, string>? pathOf = null) where T : Symbol
    {
        Marked.AddOrUpdate(symbol, pathOf ?? (value => value));
        return symbol;
    }

    /// <summary>The paths given to the chosen command's input options and arguments, as written.</summary>
    public static IEnumerable<string> Named(ParseResult parse) =>
        parse.CommandResult.Children.SelectMany(r => r switch
        {
            OptionResult o when Marked.TryGetValue(o.Option, out var pathOf) => r.Tokens.Select(t => pathOf(t.Value)),
            ArgumentResult a when Marked.TryGetValue(a.Argument, out var pathOf) => r.Tokens.Select(t => pathOf(t.Value)),
            _ => [],
        });
}
