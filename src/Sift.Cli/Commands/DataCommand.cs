using System.CommandLine;
using Sift.Data;

namespace Sift.Cli.Commands;

/// <summary>`sift data ...`: work on instruction data files.</summary>
public static class DataCommand
{
    public static Command Create()
    {
        var data = new Command("data", "Inspect and convert instruction data files.");
        data.Subcommands.Add(DataInspectCommand.Create());
        data.Subcommands.Add(Convert());
        return data;
    }

    private static Command Convert()
    {
        var input = new Argument<string>("IN") { Description = "Data file: .jsonl, .json, .jsonl.zst or .parquet; any supported layout." };
        var output = new Argument<string>("OUT") { Description = "Output file: .jsonl, .jsonl.zst or .parquet (messages layout)." };
        var format = new Option<string>("--format")
        {
            Description = $"Record layout: {DataLayoutNames.Choices}.",
            DefaultValueFactory = _ => "auto",
        };
        var columns = new Option<string?>("--columns")
        {
            Description = "Field renames, e.g. prompt=question,response=answer (keys: id, system, prompt, query, response, messages, role, content, instances).",
        };
        var skipInvalid = new Option<bool>("--skip-invalid")
        {
            Description = "Skip invalid records instead of stopping; they are counted and listed in OUT's .rejects.jsonl.",
        };
        var maxRecordBytes = new Option<int>("--max-record-bytes")
        {
            Description = "Longest accepted line or array element, in bytes.",
            DefaultValueFactory = _ => DatasetOptions.DefaultMaxRecordBytes,
        };
        var command = new Command("convert", "Convert a data file to the OpenAI messages layout ({id, messages}) as JSON Lines or Parquet.")
        {
            input, output, format, columns, skipInvalid, maxRecordBytes,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var options = new DatasetOptions
            {
                Layout = DataLayoutNames.Parse(parse.GetValue(format) ?? "auto"),
                Columns = ColumnMapping.Parse(parse.GetValue(columns)),
                SkipInvalid = parse.GetValue(skipInvalid),
                MaxRecordBytes = parse.GetValue(maxRecordBytes),
            };
            var result = DatasetConversion.Run(parse.GetValue(input)!, parse.GetValue(output)!, options);
            var s = result.Statistics;
            Console.WriteLine($"wrote {result.Written} examples to {result.Output} " +
                              $"(read {s.Records} records, layout {DataLayoutNames.Name(s.Layout)}, {DataFileFormats.Name(s.FileFormat)})");
            if (s.Invalid > 0) Console.WriteLine($"skipped {s.Invalid} invalid records ({s.DuplicateIds} with duplicate ids)");
            if (s.DuplicateContentDropped > 0) Console.WriteLine($"dropped {s.DuplicateContentDropped} examples repeating earlier content");
            if (s.DuplicateContentKept > 0) Console.WriteLine($"note: {s.DuplicateContentKept} examples repeat earlier content under a different id");
            if (result.RejectsPath != null) Console.WriteLine($"rejects: {result.RejectsPath} ({result.Rejected} records)");
            return 0;
        }));
        return command;
    }
}
