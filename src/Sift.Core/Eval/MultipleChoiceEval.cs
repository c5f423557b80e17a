using System.Diagnostics;
using System.Text.Json.Nodes;
using Sift.IO;
using Sift.Models;
using Sift.Scoring;
using Sift.Text;
using Sift.Text.Templates;

namespace Sift.Eval;

/// <summary>The multiple-choice part of `sift eval`: scores every question; its rows are OUT/multiple_choice.jsonl, written by <see cref="EvalJob"/>.</summary>
internal static class MultipleChoiceEval
{
    /// <summary>Scores the questions, stopping between batches when <paramref name="context"/> asks.</summary>
    public static (MultipleChoiceSummary Summary, List<JsonObject> Rows) Run(CausalLM model, ModelTokenizer tokenizer, ChatTemplate template, EvalSettings s,
        IReadOnlyList<MultipleChoiceQuestion> questions, JobContext context)
    {
        var say = context.Log;
        var clock = Stopwatch.StartNew();
        var lastSaid = TimeSpan.Zero;
        var results = MultipleChoiceScoring.Score(model, tokenizer, s.ChoiceChat ? template : null, questions, s.ChoicePrompt,
            new ScoringOptions { BatchSize = s.BatchSize }, (done, total) =>
            {
                context.Cancel.ThrowIfCancellationRequested();
                if (done < total && clock.Elapsed - lastSaid < TimeSpan.FromSeconds(10)) return;
                lastSaid = clock.Elapsed;
                say($"multiple choice: scored {done}/{total} continuations ({clock.Elapsed.TotalSeconds:F0}s)");
            });
        int correct = results.Count(r => r.Acc), correctNorm = results.Count(r => r.AccNorm);
        int truncated = results.Count(r => r.Truncated);
        if (truncated > 0) say($"note: {truncated} multiple-choice contexts were cut from the left to fit the model's {model.Config.MaxPositionEmbeddings}-token context");
        var summary = new MultipleChoiceSummary
        {
            File = Path.GetFullPath(s.MultipleChoicePath!), FileSha256 = ContentHash.OfFile(s.MultipleChoicePath!),
            Prompt = MultipleChoicePrompts.Name(s.ChoicePrompt), ChatTemplate = s.ChoiceChat,
            Questions = results.Count, Correct = correct, CorrectNorm = correctNorm,
            Acc = (double)correct / results.Count, AccNorm = (double)correctNorm / results.Count,
            Truncated = truncated, Seconds = clock.Elapsed.TotalSeconds,
        };
        return (summary, results.Select(Row).ToList());
    }

    private static JsonObject Row(MultipleChoiceResult r) => new()
    {
        ["id"] = r.Id, ["gold"] = r.Gold, ["pred"] = r.Pred, ["pred_norm"] = r.PredNorm, ["acc"] = r.Acc, ["acc_norm"] = r.AccNorm,
        ["loglikelihoods"] = new JsonArray(r.LogLikelihoods.Select(v => (JsonNode?)EvalSummary.Finite(v)).ToArray()),
        ["lengths"] = new JsonArray(r.Lengths.Select(v => (JsonNode?)v).ToArray()),
        ["tokens"] = new JsonArray(r.Tokens.Select(v => (JsonNode?)v).ToArray()),
        ["truncated"] = r.Truncated,
    };
}
