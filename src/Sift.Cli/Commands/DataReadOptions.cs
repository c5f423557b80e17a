using System.CommandLine;
using Sift.Data;
using Sift.Data.Layouts;

namespace Sift.Cli.Commands;

/// <summary>
/// The options of every command that reads an instruction data file (--format, --columns,
/// --skip-invalid, --limit), declared once and bound into <see cref="DatasetOptions"/>. A command
/// may word their help for itself ("of --data", where skipped records are counted).
/// </summary>
public sealed class DataReadOptions
{
    public const string DefaultLimitHelp = "Read only the first N valid examples of the file, in file order (quick trials)";
    public const string LimitOfDataHelp = "Read only the first N valid examples of --data, in file order (quick trials)";
    public const string ColumnsWithKeysHelp =
        "Field renames, e.g. prompt=question,response=answer (keys: id, system, prompt, query, response, messages, role, content, instances).";

    /// <param name="skipInvalid">Help of --skip-invalid; null leaves the option out (the command never skips).</param>
    public DataReadOptions(
        string? format = null,
        string columns = "Field renames, e.g. prompt=question,response=answer.",
        string? skipInvalid = "Skip invalid records (counted) instead of stopping at the first.",
        string limit = DefaultLimitHelp + ".")
    {
        Format = new Option<string>("--format") { Description = format ?? $"Record layout: {DataLayoutNames.Choices}.", DefaultValueFactory = _ => "auto" };
        Columns = new Option<string?>("--columns") { Description = columns };
        SkipInvalid = skipInvalid == null ? null : new Option<bool>("--skip-invalid") { Description = skipInvalid };
        // Read as text, so a bad value gets Sift's one-line error (ExampleLimit) rather than a parser message.
        Limit = new Option<string?>("--limit") { Description = limit, HelpName = "N" };
    }

    public Option<string> Format { get; }
    public Option<string?> Columns { get; }
    public Option<bool>? SkipInvalid { get; }
    public Option<string?> Limit { get; }

    /// <summary>The options in the order help lists them.</summary>
    public IEnumerable<Option> All => SkipInvalid == null ? [Format, Columns, Limit] : [Format, Columns, SkipInvalid, Limit];

    public DatasetOptions Bind(ParseResult parse) => new()
    {
        Layout = DataLayoutNames.Parse(parse.GetValue(Format) ?? "auto"),
        Columns = ColumnMapping.Parse(parse.GetValue(Columns)),
        SkipInvalid = SkipInvalid != null && parse.GetValue(SkipInvalid),
        Limit = parse.GetValue(Limit) is { } limit ? ExampleLimit.Parse(limit, "--limit") : null,
    };
}

/// <summary>Lets a command's option list name the group in place: <c>new Command(...) { data, read, output }</c>.</summary>
public static class DataReadOptionsCommandExtensions
{
    public static void Add(this Command command, DataReadOptions read)
    {
        foreach (var option in read.All) command.Options.Add(option);
    }
}
