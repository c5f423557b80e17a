using System.Text.Json;
using System.Text.Json.Serialization;
using Sift.IO;

namespace Sift.Eval;

/// <summary>
/// OUT/eval.json of `sift eval`: what was evaluated and every number, in the metric names the
/// training log uses (eval_loss, eval_perplexity, eval_token_accuracy). Values that could not be
/// computed are null. `sift report` reads it.
/// </summary>
public sealed record EvalSummary
{
    public const string FileName = "eval.json";
    public const string ExamplesFile = "eval_examples.jsonl";
    public const string IfEvalFile = "ifeval_responses.jsonl";
    public const string MultipleChoiceFile = "multiple_choice.jsonl";

    /// <summary>Every file `sift eval` writes into its folder, the summary first.</summary>
    public static readonly string[] Files = [FileName, ExamplesFile, MultipleChoiceFile, IfEvalFile];

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public required string Model { get; init; }
    public string? Data { get; init; }
    public string? DataSha256 { get; init; }
    /// <summary>--limit: only the first N valid examples of the data file were read; absent when the whole file was.</summary>
    public int? DataLimit { get; init; }
    public string? Template { get; init; }
    public string? Tokenization { get; init; }
    /// <summary>Examples of the data file with at least one response token (after truncation).</summary>
    public int? Examples { get; init; }
    /// <summary>Examples of the data file left out of the loss: nothing to score after truncation or dropped as too long.</summary>
    public int? ExcludedExamples { get; init; }
    public long? Tokens { get; init; }
    public double? EvalLoss { get; init; }
    public double? EvalPerplexity { get; init; }
    public double? EvalTokenAccuracy { get; init; }
    public GenerationSummary? Generation { get; init; }
    public IfEvalSummary? Ifeval { get; init; }
    public MultipleChoiceSummary? MultipleChoice { get; init; }
    /// <summary>Where the per-example rows (eval_examples.jsonl) of a summary read from disk are, when they exist.</summary>
    [JsonIgnore] public string? ExamplesPath { get; init; }

    public static double? Finite(double value) => double.IsFinite(value) ? value : null;

    public void Write(string outDir) => AtomicFile.WriteAllText(Path.Combine(outDir, FileName), JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>Reads DIR/eval.json (or the file itself when given).</summary>
    public static EvalSummary Read(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file)) throw new SiftException($"{file}: not found; `sift eval --out DIR` writes DIR/{FileName}");
        try
        {
            var summary = JsonSerializer.Deserialize<EvalSummary>(File.ReadAllText(file), Json) ?? throw new SiftException($"{file}: empty");
            var examples = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, ExamplesFile);
            return File.Exists(examples) ? summary with { ExamplesPath = examples } : summary;
        }
        catch (JsonException e)
        {
            throw new SiftException($"{file}: not an eval summary ({e.Message}); rerun `sift eval`", e);
        }
    }
}

/// <summary>Exact match of greedy answers against the reference answers.</summary>
public sealed record GenerationSummary
{
    public required string Matcher { get; init; }
    public int MaxNewTokens { get; init; }
    public int Examples { get; init; }
    public int Matched { get; init; }
    public double? ExactMatch { get; init; }
    /// <summary>Prompts that alone fill the model's context: nothing generated, counted as not matched.</summary>
    public int NotGenerated { get; init; }
    public long GeneratedTokens { get; init; }
    public double Seconds { get; init; }
    public double TokensPerSecond { get; init; }
    public int BatchSize { get; init; }
    /// <summary>With a GSM8K matcher: lm-evaluation-harness's two GSM8K accuracies of the same answers.</summary>
    public Gsm8kSummary? Gsm8k { get; init; }
}

/// <summary>lm-evaluation-harness's GSM8K exact match under its strict-match and flexible-extract filters (<see cref="Gsm8kAnswers"/>).</summary>
public sealed record Gsm8kSummary
{
    public double? StrictMatch { get; init; }
    public int StrictMatched { get; init; }
    public double? FlexibleExtract { get; init; }
    public int FlexibleMatched { get; init; }
}

/// <summary>Multiple-choice log-likelihood accuracy (<see cref="MultipleChoiceScoring"/>).</summary>
public sealed record MultipleChoiceSummary
{
    public required string File { get; init; }
    public string? FileSha256 { get; init; }
    /// <summary>"mmlu" or "cloze" (<see cref="ChoicePrompt"/>).</summary>
    public required string Prompt { get; init; }
    /// <summary>Whether the context went through the chat template (no delimiter before the choices then).</summary>
    public bool ChatTemplate { get; init; }
    public int Questions { get; init; }
    public int Correct { get; init; }
    public int CorrectNorm { get; init; }
    public double? Acc { get; init; }
    public double? AccNorm { get; init; }
    /// <summary>Questions whose context lost its first tokens to fit the model's context window.</summary>
    public int Truncated { get; init; }
    public double Seconds { get; init; }
}

/// <summary>IFEval strict and loose accuracy per prompt and per instruction (see <see cref="IfEvalResult"/>).</summary>
public sealed record IfEvalSummary
{
    public required string File { get; init; }
    public int Prompts { get; init; }
    public double? PromptStrictAccuracy { get; init; }
    public int PromptsScored { get; init; }
    public int PromptsWithUnsupported { get; init; }
    public int PromptsNotGenerated { get; init; }
    public double? InstructionStrictAccuracy { get; init; }
    public double? PromptLooseAccuracy { get; init; }
    public double? InstructionLooseAccuracy { get; init; }
    public int InstructionsScored { get; init; }
    public Dictionary<string, int> Unsupported { get; init; } = [];
    public Dictionary<string, InstructionSummary> PerInstruction { get; init; } = [];
    public long GeneratedTokens { get; init; }
    public double Seconds { get; init; }
}

public sealed record InstructionSummary(int Count, int Followed, double? Accuracy, int FollowedLoose = 0, double? LooseAccuracy = null);
