using System.CommandLine;
using System.Globalization;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Selection;

namespace Sift.Cli.Commands;

/// <summary>`sift select`: subsets of a data file by a score column, with a manifest.</summary>
public static class SelectCommand
{
    /// <summary>The selection each method's paper uses; explicit options override any part.</summary>
    private static readonly Dictionary<string, (string? Column, RankOrder Order, SelectionAmount Amount, double? DropAbove, string[] Names)> Presets = new()
    {
        ["sftmix"] = ("sftmix_confidence", RankOrder.Highest, new SelectionAmount.Split(0.5), null, ["confident", "unconfident"]),
        ["lobass"] = ("S", RankOrder.Highest, new SelectionAmount.Fraction(0.06), null, ["selected"]),
        ["ifd"] = ("ifd_loss_ratio", RankOrder.Highest, new SelectionAmount.Fraction(0.06), 1.0, ["selected"]),
        ["cartography"] = ("variability", RankOrder.Highest, new SelectionAmount.Fraction(0.33), null, ["selected"]),
        ["perplexity"] = ("perplexity", RankOrder.Middle, new SelectionAmount.Fraction(0.06), null, ["selected"]),
        ["random"] = (null, RankOrder.Highest, new SelectionAmount.Fraction(0.06), null, ["selected"]),
    };

    public static Command Create()
    {
        var scores = new Option<string>("--scores") { Description = "Score table (.parquet or .jsonl) from `sift score`", Required = true };
        var data = new Option<string>("--data") { Description = "The data file that was scored; subsets are written from it", Required = true };
        var output = new Option<string>("--out") { Description = "Output folder: NAME.jsonl per subset (messages layout) and manifest.json", Required = true };
        var preset = new Option<string?>("--preset") { Description = "sftmix (median split of sftmix_confidence into confident/unconfident), lobass (top 6% by S), ifd (drop ifd_loss_ratio > 1, top 6%), cartography (top 33% by variability), perplexity (middle 6%), random (6%)" };
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
        var with = new Option<string[]>("--with") { Description = "Extra tables with an id column (e.g. a source column for --stratify)", AllowMultipleArgumentsPerToken = true };
        var names = new Option<string?>("--names") { Description = "Subset names, comma separated (default: selected; for a split confident,unconfident)" };
        var read = new DataReadOptions($"Record layout of --data: {DataLayoutNames.Choices}", "Field renames of --data, e.g. prompt=question,response=answer",
            "Skip invalid records of --data (as when it was scored)", "Read only the first N valid examples of --data, in file order (as when it was scored)");

        var command = new Command("select", "Select examples by a score: top-k, fraction, threshold, median or quantile split, stratified, or random with a seed. " +
                                            "Ties are broken by position in the data file; rows with NaN or inf are never selected. " +
                                            "Writes the subsets as data files and a manifest (policy, counts, score ranges, SHA-256 of the inputs).")
        {
            scores, data, output, preset, column, random, order, topK, fraction, threshold, split, dropAbove, dropBelow, stratify, with, names, read,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var p = parse.GetValue(preset) is { } presetName
                ? Presets.TryGetValue(presetName, out var found) ? found : throw new SiftException($"--preset '{presetName}' is unknown; use one of {string.Join(", ", Presets.Keys)}")
                : ((string?)null, RankOrder.Highest, (SelectionAmount?)null, (double?)null, (string[]?)null);
            var amounts = new List<SelectionAmount>();
            if (parse.GetValue(topK) is int k) amounts.Add(new SelectionAmount.TopK(k));
            if (parse.GetValue(fraction) is double f) amounts.Add(new SelectionAmount.Fraction(f));
            if (parse.GetValue(threshold) is double t) amounts.Add(new SelectionAmount.Threshold(t));
            if (parse.GetValue(split) is { } q) amounts.Add(new SelectionAmount.Split(ParseSplit(q)));
            if (amounts.Count > 1) throw new SiftException("give one of --top-k, --fraction, --threshold, --split");
            var amount = amounts.FirstOrDefault() ?? p.Item3
                         ?? throw new SiftException("say how much to keep: --top-k K, --fraction F, --threshold X or --split median (or a --preset)");
            long? seed = parse.GetValue(random) ?? (parse.GetValue(preset) == "random" ? 0 : null);
            var policy = new SelectionPolicy
            {
                Column = seed != null ? parse.GetValue(column) : parse.GetValue(column) ?? p.Item1,
                RandomSeed = seed,
                Order = parse.GetValue(order) is { } o ? ParseOrder(o) : p.Item2,
                Amount = amount,
                DropAbove = parse.GetValue(dropAbove) ?? p.Item4,
                DropBelow = parse.GetValue(dropBelow),
                Stratify = parse.GetValue(stratify),
                Names = parse.GetValue(names)?.Split(',', StringSplitOptions.TrimEntries)
                        ?? (amount is SelectionAmount.Split ? p.Item5 is { Length: 2 } n2 ? n2 : ["confident", "unconfident"] : ["selected"]),
            };
            var result = SelectionRun.Run(new SelectionRun.Request(
                InputFiles.Require(parse.GetValue(scores)!, "--scores", "score table"), InputFiles.Require(parse.GetValue(data)!, "--data"),
                read.Bind(parse),
                policy, parse.GetValue(output)!, parse.GetValue(with) ?? []));
            foreach (var (name, path, count) in result.Subsets) Console.WriteLine($"{name}: {count} examples -> {path}");
            foreach (var note in result.Notes) Console.WriteLine($"note: {note}");
            Console.WriteLine($"manifest: {result.ManifestPath}");
            return 0;
        }));
        return command;
    }

    private static double ParseSplit(string text) =>
        text == "median" ? 0.5
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var q) ? q
        : throw new SiftException($"--split '{text}': give 'median' or a quantile between 0 and 1");

    private static RankOrder ParseOrder(string text) => text switch
    {
        "highest" => RankOrder.Highest,
        "lowest" => RankOrder.Lowest,
        "middle" => RankOrder.Middle,
        _ => throw new SiftException($"--order '{text}': use highest, lowest or middle"),
    };
}
