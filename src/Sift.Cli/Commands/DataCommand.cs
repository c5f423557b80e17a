using System.CommandLine;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Operations;

namespace Sift.Cli.Commands;

/// <summary>`sift data ...`: work on instruction data files.</summary>
public static class DataCommand
{
    public static Command Create()
    {
        var data = new Command("data", "Inspect and convert instruction data files.");
        data.Subcommands.Add(DataInspectCommand.Create());
        data.Subcommands.Add(Convert());
        data.Subcommands.Add(Split());
        data.Subcommands.Add(Noise());
        data.Subcommands.Add(Merge());
        return data;
    }

    private static Command Convert()
    {
        var input = new Argument<string>("IN") { Description = "Data file: .jsonl, .json, .jsonl.zst or .parquet; any supported layout." }.Input();
        var output = new Argument<string>("OUT") { Description = "Output file: .jsonl, .jsonl.zst or .parquet (messages layout)." };
        var read = new DataReadOptions(
            columns: DataReadOptions.ColumnsWithKeysHelp,
            skipInvalid: "Skip invalid records instead of stopping; they are counted and listed in OUT's .rejects.jsonl.");
        var maxRecordBytes = new Option<int>("--max-record-bytes")
        {
            Description = "Longest accepted line or array element, in bytes.",
            DefaultValueFactory = _ => DatasetOptions.DefaultMaxRecordBytes,
        };
        var command = new Command("convert", "Convert a data file to the OpenAI messages layout ({id, messages}) as JSON Lines or Parquet.")
        {
            input, output, read, maxRecordBytes,
        };
        command.SetJob((parse, _) =>
        {
            var options = read.Bind(parse) with { MaxRecordBytes = parse.GetValue(maxRecordBytes) };
            var result = DatasetConversion.Run(InputFiles.Require(parse.GetValue(input)!, "IN"), parse.GetValue(output)!, options);
            var s = result.Statistics;
            Console.WriteLine($"wrote {result.Written} examples to {result.Output} " +
                              $"(read {s.Records} records, layout {DataLayoutNames.Name(s.Layout)}, {DataFileFormats.Name(s.FileFormat)})");
            if (s.Invalid > 0) Console.WriteLine($"skipped {s.Invalid} invalid records ({s.DuplicateIds} with duplicate ids)");
            if (s.DuplicateContentDropped > 0) Console.WriteLine($"dropped {s.DuplicateContentDropped} examples repeating earlier content");
            if (s.DuplicateContentKept > 0) Console.WriteLine($"note: {s.DuplicateContentKept} examples repeat earlier content under a different id");
            if (result.RejectsPath != null) Console.WriteLine($"rejects: {result.RejectsPath} ({result.Rejected} records)");
            return 0;
        }, torch: false);
        return command;
    }

    private static void ReportSkipped(DatasetStatistics stats, string input)
    {
        if (stats.Invalid > 0) Console.WriteLine($"skipped {stats.Invalid} invalid records of {input}");
    }

    private static Command Split()
    {
        var input = new Argument<string>("IN") { Description = "Data file (any supported layout and format)." }.Input();
        var output = new Option<string>("--out") { Description = "Output folder for train.jsonl and heldout.jsonl.", Required = true };
        var fraction = new Option<double>("--heldout-fraction") { Description = "Share held out, chosen by a hash of the example id.", DefaultValueFactory = _ => 0.1 };
        var read = new DataReadOptions();
        var command = new Command("split", "Split a data file into train.jsonl and heldout.jsonl (messages layout) by a hash of each example id.")
        {
            input, output, fraction, read,
        };
        command.SetJob((parse, _) =>
        {
            var stats = new DatasetStatistics();
            var (train, held) = DatasetFiles.Split(InputFiles.Require(parse.GetValue(input)!, "IN"), parse.GetValue(output)!, read.Bind(parse), parse.GetValue(fraction), stats);
            Console.WriteLine($"wrote {train} training and {held} held-out examples to {parse.GetValue(output)}");
            ReportSkipped(stats, parse.GetValue(input)!);
            return 0;
        }, torch: false);
        return command;
    }

    private static Command Noise()
    {
        var input = new Argument<string>("IN") { Description = "Data file (any supported layout and format)." }.Input();
        var output = new Argument<string>("OUT") { Description = "Output .jsonl (messages layout, with a \"noisy\" label per example)." };
        var fraction = new Option<double>("--fraction") { Description = "Share of examples whose final answer is replaced by another corrupted example's answer.", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<int>("--seed") { Description = "Seed for choosing the examples.", DefaultValueFactory = _ => 0 };
        var cleanOut = new Option<string?>("--clean-out") { Description = "Also write the uncorrupted examples alone to this .jsonl (the oracle training set)." };
        var read = new DataReadOptions();
        var command = new Command("noise", "Inject label noise for robustness experiments: shuffle the final answers of a fraction of examples among themselves, and label them.")
        {
            input, output, fraction, seed, cleanOut, read,
        };
        command.SetJob((parse, _) =>
        {
            var (total, noisy) = DataNoise.ShuffleResponses(InputFiles.Require(parse.GetValue(input)!, "IN"), parse.GetValue(output)!, read.Bind(parse), parse.GetValue(fraction), parse.GetValue(seed), parse.GetValue(cleanOut));
            Console.WriteLine($"wrote {total} examples to {parse.GetValue(output)}, {noisy} with another example's answer (noisy: true)");
            return 0;
        }, torch: false);
        return command;
    }

    private static Command Merge()
    {
        var output = new Argument<string>("OUT") { Description = "Output .jsonl (messages layout)." };
        var inputs = new Argument<string[]>("IN") { Description = "Data files; append :FORMAT:COLUMNS to one to read it differently, e.g. gsm8k.jsonl:auto:prompt=question,response=answer", Arity = ArgumentArity.OneOrMore }
            .Input(spec => Parts(spec)[0]);
        var skipInvalid = new Option<bool>("--skip-invalid") { Description = "Skip invalid records instead of stopping." };
        var command = new Command("merge", "Concatenate data files (any layouts) into one messages JSON Lines file; example ids must be unique across them.") { output, inputs, skipInvalid };
        command.SetJob((parse, _) =>
        {
            var sources = parse.GetValue(inputs)!.Select(spec =>
            {
                var parts = Parts(spec);
                return (parts[0], new DatasetOptions
                {
                    Layout = DataLayoutNames.Parse(parts.Length > 1 ? parts[1] : "auto"),
                    Columns = ColumnMapping.Parse(parts.Length > 2 ? parts[2] : null),
                    SkipInvalid = parse.GetValue(skipInvalid),
                });
            }).ToList();
            int n = DatasetFiles.Merge(sources, parse.GetValue(output)!);
            Console.WriteLine($"wrote {n} examples to {parse.GetValue(output)}");
            return 0;
        }, torch: false);
        return command;
    }

    /// <summary>FILE[:FORMAT[:COLUMNS]] of `data merge`.</summary>
    private static string[] Parts(string spec) => spec.Split(':', 3);
}
