using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Generation;
using Sift.IO;
using Sift.Models;
using Sift.Native;
using Sift.Text;
using Sift.Text.Templates;
using Sift.Training;
using static TorchSharp.torch;

namespace Sift.Eval;

/// <summary>What `sift eval` computes and where it writes.</summary>
public sealed record EvalSettings
{
    public required string Model { get; init; }
    public required string OutDir { get; init; }
    /// <summary>Held-out data: response loss, perplexity, token accuracy, and exact match with a matcher.</summary>
    public string? DataPath { get; init; }
    public DatasetOptions Read { get; init; } = new();
    public TokenizationOptions Tokenization { get; init; } = new();
    public string? Template { get; init; }
    public string? CacheDir { get; init; }
    public ScalarType? DType { get; init; }
    /// <summary>Where the model runs (null: the CPU).</summary>
    public Device? Device { get; init; }
    /// <summary>Examples per forward pass (loss) and prompts per generation batch.</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Set: generate an answer to each example's prompt and compare it with the reference.</summary>
    public AnswerMatcher? Matcher { get; init; }
    public int MaxNewTokens { get; init; } = 256;
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>IFEval input_data.jsonl: generate a response per prompt and check its instructions.</summary>
    public string? IfEvalPath { get; init; }
    /// <summary>Multiple-choice questions (<see cref="MultipleChoiceQuestions"/>): log-likelihood accuracy acc and acc_norm.</summary>
    public string? MultipleChoicePath { get; init; }
    public ChoicePrompt ChoicePrompt { get; init; } = ChoicePrompt.Mmlu;
    /// <summary>Put each question through the chat template (as a user turn, with the generation prompt) instead of scoring raw text.</summary>
    public bool ChoiceChat { get; init; }
}

/// <summary>
/// `sift eval`: one model on held-out data (teacher-forced response loss through
/// <see cref="Evaluator"/>; with a matcher, greedy answers compared with the reference answers), on
/// IFEval prompts and on multiple-choice questions. Writes OUT/eval.json, OUT/eval_examples.jsonl,
/// OUT/ifeval_responses.jsonl and OUT/multiple_choice.jsonl atomically.
/// </summary>
public static class EvalJob
{
    public static EvalSummary Run(EvalSettings s, JobContext context)
    {
        var say = context.Log;
        // Progress lines come between batches, where a stop is honoured; every file is written only after the last phase.
        void Progress(string line)
        {
            say(line);
            context.Cancel.ThrowIfCancellationRequested();
        }
        if (s.DataPath == null && s.IfEvalPath == null && s.MultipleChoicePath == null)
            throw new SiftException("nothing to evaluate: give --data FILE (held-out examples), --ifeval FILE, --multiple-choice FILE, or several");
        if (s.Matcher != null && s.DataPath == null) throw new SiftException("--generate compares answers with the references of --data; give --data FILE");
        if (s.BatchSize < 1) throw new SiftException($"--batch-size must be at least 1, got {s.BatchSize}");
        if (s.MaxNewTokens < 1) throw new SiftException($"--max-new-tokens must be at least 1, got {s.MaxNewTokens}");
        if (!Directory.Exists(s.Model)) throw new SiftException($"{s.Model}: model folder not found; give a folder in Hugging Face layout (config.json, *.safetensors, tokenizer files), e.g. RUN/model of `sift train`");
        var ifevalPrompts = s.IfEvalPath != null ? IfEvalPrompts.Read(s.IfEvalPath) : null;
        var tasks = s.Matcher != null ? ReadTasks(s.DataPath!, s.Read) : null;
        var questions = s.MultipleChoicePath != null ? MultipleChoiceQuestions.Read(s.MultipleChoicePath) : null;

        var tokenizer = ModelTokenizer.Load(s.Model);
        var template = ChatTemplate.ForModel(s.Model, s.Template);
        using var model = ModelFolder.Load(s.Model, s.DType, s.Device);
        tokenizer.CheckFitsModel(model.Config.VocabSize);
        say($"loaded {s.Model} ({model.Config.Architecture}, {model.DType}), template {template.Name}");
        CpuBf16.WarnIfEmulated(model.DType, say, model.Device.type);
        Directory.CreateDirectory(s.OutDir);

        var summary = new EvalSummary { Model = Path.GetFullPath(s.Model), Template = template.Name };
        var rows = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var order = new List<string>();
        JsonObject Row(string id)
        {
            if (!rows.TryGetValue(id, out var row)) { rows[id] = row = new JsonObject { ["id"] = id }; order.Add(id); }
            return row;
        }

        // Rows in the data file's order: every example has a row when answers are generated, else those with a loss.
        foreach (var task in tasks ?? []) Row(task.Prompt.Id);
        if (s.DataPath != null)
        {
            var tokenized = TokenizedDataset.LoadOrBuild(s.DataPath, s.Read, new ExampleTokenizer(tokenizer, template, s.Tokenization), s.CacheDir);
            if (tokenized.Cache.Note != null) say(tokenized.Cache.Note);
            say($"{s.DataPath}: {tokenized.Report}");
            var loss = Evaluator.Evaluate(model, tokenized.Examples, s.BatchSize);
            context.Cancel.ThrowIfCancellationRequested();
            var byId = loss.Examples.ToDictionary(e => e.Id, StringComparer.Ordinal);
            foreach (var example in tokenized.Examples)
            {
                var e = byId[example.Id];
                var row = Row(e.Id);
                row["loss"] = EvalSummary.Finite(e.MeanLoss);
                row["tokens"] = e.Tokens;
                row["token_accuracy"] = EvalSummary.Finite(e.Accuracy);
            }
            summary = summary with
            {
                Data = Path.GetFullPath(s.DataPath), DataSha256 = ContentHash.OfFile(s.DataPath), DataLimit = s.Read.Limit, Tokenization = s.Tokenization.Describe(),
                Examples = tokenized.Examples.Count, ExcludedExamples = (int)(tokenized.Report.Read.Examples - tokenized.Examples.Count), Tokens = loss.Tokens,
                EvalLoss = EvalSummary.Finite(loss.Loss), EvalPerplexity = EvalSummary.Finite(loss.Perplexity), EvalTokenAccuracy = EvalSummary.Finite(loss.TokenAccuracy),
            };
        }

        // Multiple choice before generation: it takes one forward per choice, and a question it cannot score stops the run early.
        List<JsonObject>? choiceRows = null;
        if (questions != null)
        {
            (var choices, choiceRows) = MultipleChoiceEval.Run(model, tokenizer, template, s, questions, context);
            summary = summary with { MultipleChoice = choices };
        }

        var responder = new ChatResponder(model, tokenizer, template, s.StopStrings);
        if (tasks != null)
        {
            var matcher = s.Matcher!.Value;
            var clock = Stopwatch.StartNew();
            var responses = responder.Respond(tasks.Select(t => t.Prompt).ToList(), s.MaxNewTokens, s.BatchSize,
                done => Progress($"generated {done}/{tasks.Count} ({clock.Elapsed.TotalSeconds:F0}s)"));
            double seconds = clock.Elapsed.TotalSeconds;
            int matched = 0, strictMatched = 0, flexibleMatched = 0;
            bool gsm8k = AnswerMatchers.IsGsm8k(matcher);
            for (int i = 0; i < tasks.Count; i++)
            {
                var text = responses[i].Text;
                bool match = text != null && AnswerMatchers.Matches(matcher, text, tasks[i].Reference);
                if (match) matched++;
                var row = Row(tasks[i].Prompt.Id);
                row["generated"] = text;
                row["reference"] = tasks[i].Reference;
                row["match"] = match;
                row["generated_tokens"] = responses[i].GeneratedTokens;
                if (!gsm8k) continue;
                // lm-evaluation-harness's two GSM8K readings of the same answer (a prompt with no answer matches neither).
                bool strict = text != null && Gsm8kAnswers.StrictMatch(text, tasks[i].Reference);
                bool flexible = text != null && Gsm8kAnswers.FlexibleMatch(text, tasks[i].Reference);
                strictMatched += strict ? 1 : 0;
                flexibleMatched += flexible ? 1 : 0;
                row["strict_extracted"] = text == null ? null : Gsm8kAnswers.Strict(text);
                row["strict_match"] = strict;
                row["flexible_extracted"] = text == null ? null : Gsm8kAnswers.Flexible(text);
                row["flexible_match"] = flexible;
            }
            long generated = responses.Sum(r => (long)r.GeneratedTokens);
            var generation = new GenerationSummary
            {
                Matcher = AnswerMatchers.Name(matcher), MaxNewTokens = s.MaxNewTokens, Examples = tasks.Count, Matched = matched,
                ExactMatch = tasks.Count == 0 ? null : (double)matched / tasks.Count, NotGenerated = responses.Count(r => r.Text == null),
                GeneratedTokens = generated, Seconds = seconds, TokensPerSecond = generated / Math.Max(seconds, 1e-9), BatchSize = s.BatchSize,
                Gsm8k = !gsm8k || tasks.Count == 0 ? null : new Gsm8kSummary
                {
                    StrictMatch = (double)strictMatched / tasks.Count, StrictMatched = strictMatched,
                    FlexibleExtract = (double)flexibleMatched / tasks.Count, FlexibleMatched = flexibleMatched,
                },
            };
            // The results themselves are the caller's to print (once, on stdout); only this warning is said here.
            if (generation.NotGenerated > 0) say($"note: {generation.NotGenerated} prompts fill the model's context and count as not matched");
            summary = summary with { Generation = generation };
        }

        List<JsonObject>? ifevalRows = null;
        if (ifevalPrompts != null)
        {
            var clock = Stopwatch.StartNew();
            var prompts = ifevalPrompts.Select(p => new ChatPrompt(p.Key, [new ChatMessage(ChatMessage.User, p.Prompt)])).ToList();
            var responses = responder.Respond(prompts, s.MaxNewTokens, s.BatchSize,
                done => Progress($"IFEval: generated {done}/{prompts.Count} ({clock.Elapsed.TotalSeconds:F0}s)"));
            var result = IfEvalResult.Score(ifevalPrompts, responses.Select(r => r.Text).ToList());
            var ifeval = IfEvalSummaryOf(s.IfEvalPath!, ifevalPrompts.Count, result, responses.Sum(r => (long)r.GeneratedTokens), clock.Elapsed.TotalSeconds);
            ifevalRows = IfEvalRows(ifevalPrompts, responses, result).ToList();
            summary = summary with { Ifeval = ifeval };
        }
        // An earlier eval's files go first, its summary before its rows: none of its rows stays beside this summary,
        // and a run stopped between these writes leaves no summary beside rows it does not describe.
        foreach (var file in EvalSummary.Files) File.Delete(Path.Combine(s.OutDir, file));
        if (rows.Count > 0) WriteLines(Path.Combine(s.OutDir, EvalSummary.ExamplesFile), order.Select(id => rows[id]));
        if (choiceRows != null) WriteLines(Path.Combine(s.OutDir, EvalSummary.MultipleChoiceFile), choiceRows);
        if (ifevalRows != null) WriteLines(Path.Combine(s.OutDir, EvalSummary.IfEvalFile), ifevalRows);
        summary.Write(s.OutDir);
        return summary;
    }

    private sealed record ReferenceTask(ChatPrompt Prompt, string Reference);

    /// <summary>Each example's conversation up to its last assistant turn, and that turn as the reference answer.</summary>
    private static List<ReferenceTask> ReadTasks(string path, DatasetOptions read)
    {
        try
        {
            return DatasetReader.Read(path, read)
                .Select(c => new ReferenceTask(new ChatPrompt(c.Id, c.Messages.Take(c.Messages.Count - 1).ToList()), c.Messages[^1].Content)).ToList();
        }
        catch (SiftException e)
        {
            throw new SiftException($"{e.Message} (--generate needs every example to end with an assistant answer: it is the reference the generated answer is compared with)", e);
        }
    }

    private static IfEvalSummary IfEvalSummaryOf(string path, int prompts, IfEvalResult r, long tokens, double seconds) => new()
    {
        File = Path.GetFullPath(path), Prompts = prompts,
        PromptStrictAccuracy = EvalSummary.Finite(r.PromptAccuracy), PromptsScored = r.PromptsScored, PromptsWithUnsupported = r.PromptsWithUnsupported,
        PromptsNotGenerated = r.PromptsNotGenerated,
        InstructionStrictAccuracy = EvalSummary.Finite(r.InstructionAccuracy), InstructionsScored = r.InstructionsScored,
        PromptLooseAccuracy = EvalSummary.Finite(r.PromptLooseAccuracy), InstructionLooseAccuracy = EvalSummary.Finite(r.InstructionLooseAccuracy),
        Unsupported = r.Unsupported.ToDictionary(), GeneratedTokens = tokens, Seconds = seconds,
        PerInstruction = r.PerInstruction.ToDictionary(i => i.Id, i => new InstructionSummary(i.Count, i.Followed, EvalSummary.Finite(i.Accuracy), i.FollowedLoose, EvalSummary.Finite(i.LooseAccuracy))),
    };

    /// <summary>
    /// IFEval's own output fields: prompt, response, instruction_id_list, follow_instruction_list (null = unsupported),
    /// follow_all_instructions; the loose verdicts (IFEval's second output file) beside them with the suffix _loose.
    /// </summary>
    private static IEnumerable<JsonObject> IfEvalRows(IReadOnlyList<IfEvalPrompt> prompts, IReadOnlyList<ChatResponse> responses, IfEvalResult result)
    {
        var scored = result.Prompts.ToDictionary(p => p.Key, StringComparer.Ordinal);
        for (int i = 0; i < prompts.Count; i++)
        {
            var p = prompts[i];
            var checks = scored.GetValueOrDefault(p.Key);
            yield return new JsonObject
            {
                ["key"] = p.Key, ["prompt"] = p.Prompt, ["response"] = responses[i].Text,
                ["instruction_id_list"] = new JsonArray(p.InstructionIds.Select(id => (JsonNode?)id).ToArray()),
                ["follow_instruction_list"] = checks == null ? null : Verdicts(checks.Followed),
                ["follow_all_instructions"] = checks?.FollowedAll,
                ["follow_instruction_list_loose"] = checks == null ? null : Verdicts(checks.FollowedLoose),
                ["follow_all_instructions_loose"] = checks?.FollowedAllLoose,
            };
        }
    }

    private static JsonArray Verdicts(IReadOnlyList<bool?> followed) => new(followed.Select(f => (JsonNode?)(f is bool b ? JsonValue.Create(b) : null)).ToArray());

    internal static void WriteLines(string path, IEnumerable<JsonObject> rows) => AtomicFile.Write(path, stream =>
    {
        using var writer = new StreamWriter(stream, leaveOpen: true);
        var options = new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        foreach (var row in rows) writer.Write(row.ToJsonString(options) + "\n");
    });
}
