using System.CommandLine;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Selection;

namespace Sift.Cli.Commands;

/// <summary>`sift select`: subsets of a data file by a score column, with a manifest.</summary>
public static class SelectCommand
{
    public static Command Create()
    {
        var scores = new Option<string>("--scores") { Description = "Score table (.parquet or .jsonl) from `sift score`", Required = true }.Input();
        var data = new Option<string>("--data") { Description = "The data file that was scored; subsets are written from it", Required = true }.Input();
        var output = new Option<string>("--out") { Description = "Output folder: NAME.jsonl per subset (messages layout) and manifest.json", Required = true };
        var preset = new Option<string?>("--preset") { Description = SelectionPresets.Described };
        var column = new Option<string?>("--column") { Description = "Score column to rank by" };
        var random = new Option<long?>("--random") { Description = "Rank by a seeded random value instead of a column (sampling without replacement)" };
        var order = new Option<string?>("--order") { Description = "highest (default), lowest, or middle (nearest the median)" };
        var topK = new Option<int?>("--top-k") { Description = "Keep the first K of the ranking" };
        var fraction = new Option<double?>("--fraction") { Description = "Keep the first floor(F x table rows) of the ranking" };
        var threshold = new Option<double?>("--threshold") { Description = "Keep rows >= X (highest) or <= X (lowest)" };
        var split = new Option<string?>("--split") { Description = "Two subsets cut at quantile Q of the ranking ('median' = 0.5): the lowest floor(n*Q) form the second" };
        var dropAbove = new Option<double?>("--drop-above") { Description = "Rows above this value are not eligible (IFD: 1)" };
        var dropBelow = new Option<double?>("--drop-below") { Description = "Rows below this value are not eligible" };
        var stratify = new Option<string?>("--stratify") { Description = "Apply the policy within each value of this column (of the score table or a --with table); amounts are shared in proportion to stratum sizes" };
        var with = new Option<string[]>("--with") { Description = "Extra tables with an id column (e.g. a source column for --stratify)", AllowMultipleArgumentsPerToken = true }.Input();
        var names = new Option<string?>("--names") { Description = "Subset names, comma separated (default: selected; for a split confident,unconfident)" };
        var read = new DataReadOptions($"Record layout of --data: {DataLayoutNames.Choices}", "Field renames of --data, e.g. prompt=question,response=answer",
            "Skip invalid records of --data (as when it was scored)", "Read only the first N valid examples of --data, in file order (as when it was scored)");

        var command = new Command("select", "Select examples by a score: top-k, fraction, threshold, median or quantile split, stratified, or random with a seed. " +
                                            "Ties are broken by position in the data file; rows with NaN or inf are never selected. " +
                                            "Writes the subsets as data files and a manifest (policy, counts, score ranges, SHA-256 of the inputs).")
        {
            scores, data, output, preset, column, random, order, topK, fraction, threshold, split, dropAbove, dropBelow, stratify, with, names, read,
        };
        command.SetJob((parse, _) =>
        {
            var policy = new SelectionChoices
            {
                Preset = parse.GetValue(preset),
                Column = parse.GetValue(column),
                RandomSeed = parse.GetValue(random),
                Order = parse.GetValue(order),
                TopK = parse.GetValue(topK),
                Fraction = parse.GetValue(fraction),
                Threshold = parse.GetValue(threshold),
                Split = parse.GetValue(split),
                DropAbove = parse.GetValue(dropAbove),
                DropBelow = parse.GetValue(dropBelow),
                Stratify = parse.GetValue(stratify),
                Names = parse.GetValue(names)?.Split(',', StringSplitOptions.TrimEntries),
            }.Policy();
            var result = SelectionRun.Run(new SelectionRun.Request(
                InputFiles.Require(parse.GetValue(scores)!, "--scores", "score table"), InputFiles.Require(parse.GetValue(data)!, "--data"),
                read.Bind(parse),
                policy, parse.GetValue(output)!, parse.GetValue(with) ?? []));
            foreach (var (name, path, count) in result.Subsets) Console.WriteLine($"{name}: {count} examples -> {path}");
            foreach (var note in result.Notes) Console.WriteLine($"note: {note}");
            Console.WriteLine($"manifest: {result.ManifestPath}");
            return 0;
        });
        return command;
    }
}
