using System.CommandLine;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Tokenization;

namespace Sift.Cli.Commands;

/// <summary>`sift data inspect FILE --model DIR`: what a data file becomes for a model, with counts, lengths and marked examples.</summary>
public static class DataInspectCommand
{
    public static Command Create()
    {
        var input = new Argument<string>("FILE") { Description = "Data file: .jsonl, .json, .jsonl.zst or .parquet; any supported layout." }.Input();
        var model = new Option<string>("--model") { Description = "Model folder whose tokenizer and chat template to use.", Required = true }.Input();
        var read = new DataReadOptions(columns: DataReadOptions.ColumnsWithKeysHelp, skipInvalid: "Skip and count invalid records instead of stopping at the first.");
        var template = new Option<string?>("--template") { Description = "Chat template name, overriding the model's (llama-2, llama-3, chatml, qwen2, qwen2.5, mistral, mistral-legacy, plain)." };
        var maxLength = new Option<int>("--max-length") { Description = "Longest example in tokens.", DefaultValueFactory = _ => new TokenizationOptions().MaxLength };
        var overLength = new Option<string>("--over-length") { Description = "Longer examples: truncate or drop.", DefaultValueFactory = _ => "truncate" };
        var lastTurnOnly = new Option<bool>("--last-turn-only") { Description = "Train only the last assistant turn." };
        var trainOnPrompt = new Option<bool>("--train-on-prompt") { Description = "Train every token, prompt included." };
        var examples = new Option<int>("--examples") { Description = "How many tokenized examples to show, trained text marked ⟦like this⟧.", DefaultValueFactory = _ => 3 };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Folder of the tokenized cache: reuse it, or write it." };

        var command = new Command("inspect", "Show what a data file becomes for a model: counts, layout, token lengths, truncation, and examples with the trained text marked.")
        {
            input, model, read.Format, read.Columns, template, maxLength, overLength, lastTurnOnly, trainOnPrompt, read.SkipInvalid!, read.Limit, examples, cacheDir,
        };
        command.SetJob((parse, _) =>
        {
            int show = parse.GetValue(examples);
            if (show < 0) throw new SiftException($"--examples must be 0 or more, got {show}.");
            var readOptions = read.Bind(parse);
            var options = new TokenizationOptions
            {
                MaxLength = parse.GetValue(maxLength),
                OverLength = ParseOverLength(parse.GetValue(overLength) ?? "truncate"),
                LastTurnOnly = parse.GetValue(lastTurnOnly),
                TrainOnPrompt = parse.GetValue(trainOnPrompt),
            };
            options.Validate();
            var modelDir = parse.GetValue(model)!;
            var tokenizer = TokenizedDataset.TokenizerFor(modelDir, options, parse.GetValue(template));
            var dataPath = InputFiles.Require(parse.GetValue(input)!, "FILE");
            var dataset = TokenizedDataset.LoadOrBuild(dataPath, readOptions, tokenizer, parse.GetValue(cacheDir));
            if (dataset.Cache.Note != null) Console.Error.WriteLine($"note: {dataset.Cache.Note}");
            Print(dataPath, modelDir, tokenizer, dataset, show, readOptions.Limit);
            return 0;
        });
        return command;
    }

    private static OverLengthPolicy ParseOverLength(string text) => text.Trim().ToLowerInvariant() switch
    {
        "truncate" => OverLengthPolicy.Truncate,
        "drop" => OverLengthPolicy.Drop,
        _ => throw new SiftException($"--over-length: unknown policy '{text}'; use truncate or drop."),
    };

    private static void Print(string dataPath, string modelDir, ExampleTokenizer tokenizer, TokenizedDataset dataset, int show, int? limit)
    {
        var r = dataset.Report;
        var s = r.Read;
        var o = tokenizer.Options;
        Console.WriteLine($"data      {dataPath}");
        Console.WriteLine($"          format {DataFileFormats.Name(s.FileFormat)}, layout {DataLayoutNames.Name(s.Layout)}");
        Console.WriteLine($"          {s.Records} records, {s.Examples} examples, {s.Invalid} invalid ({s.EmptyResponses} with an empty answer), " +
                          $"{s.DuplicateIds} duplicate ids, {s.DuplicateContentDropped} duplicate contents dropped, " +
                          $"{s.DuplicateContentKept} kept under distinct ids");
        if (limit is int n && s.Examples >= n) Console.WriteLine($"          stopped at --limit {n}: the rest of the file was not read");
        Console.WriteLine($"model     {modelDir}");
        Console.WriteLine($"          {tokenizer.Tokenizer.Description}; template {tokenizer.Template.Name}");
        var trainedWhat = o.TrainOnPrompt ? "every token" : o.LastTurnOnly ? "the last assistant turn" : "every assistant turn";
        Console.WriteLine($"          max length {o.MaxLength} ({(o.OverLength == OverLengthPolicy.Drop ? "drop" : "truncate")} longer), trained: {trainedWhat}");
        Console.WriteLine($"examples  {r.Kept} kept, {r.Truncated} truncated, {r.DroppedTooLong} dropped as too long, " +
                          $"{r.DroppedNothingTrained} empty (no trained token left after truncation)");
        var all = TokenLengthSummary.Of(dataset.Examples.Select(e => (long)e.Length));
        var trained = TokenLengthSummary.Of(dataset.Examples.Select(e => (long)e.TrainedCount));
        Console.WriteLine($"tokens    {"",-8} {"p50",7} {"p90",7} {"p99",7} {"max",7} {"total",10}");
        Console.WriteLine(Row("all", all));
        Console.WriteLine(Row("trained", trained));
        Console.WriteLine(dataset.Cache.Path == null ? "cache     off" : $"cache     {(dataset.Cache.Hit ? "hit" : "written")} {dataset.Cache.Path}");
        for (int i = 0; i < Math.Min(show, dataset.Examples.Count); i++)
        {
            var e = dataset.Examples[i];
            Console.WriteLine();
            Console.WriteLine($"--- example {i + 1} of {dataset.Examples.Count}: id {e.Id}, {e.Length} tokens, {e.TrainedCount} trained ⟦marked⟧");
            Console.WriteLine(MarkedExampleText.Render(tokenizer.Tokenizer, e));
        }
    }

    private static string Row(string name, TokenLengthSummary t) =>
        $"          {name,-8} {t.P50,7} {t.P90,7} {t.P99,7} {t.Max,7} {t.Total,10}";
}
