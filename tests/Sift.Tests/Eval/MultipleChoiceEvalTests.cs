using System.Text.Json.Nodes;
using Sift.Eval;
using Sift.Models;
using Sift.Text;
using Sift.Text.Templates;
using static TorchSharp.torch;

namespace Sift.Tests.Eval;

/// <summary>
/// `sift eval --multiple-choice` on the trained stories260K model: each choice's log-likelihood
/// against one computed here from the model's logits (one unbatched forward per choice, float64
/// log-softmax), and the acc / acc_norm picks against argmax of those by hand.
/// </summary>
public class MultipleChoiceEvalTests
{
    private static readonly string Model = Paths.Asset("models", "stories260K-hf");

    private static readonly (string Question, string[] Choices, JsonNode Answer)[] Questions =
    [
        // Sums of log-likelihood favour the short "Tom"; per character the long continuation wins.
        ("Once upon a time, there was a little girl named", ["Lily", "Tom", "a", "Lily. She loved to play outside in the park"], 3),
        // "ball" wins the sum, "red ball that was very shiny" the per-character mean.
        ("Lily went to the park and saw a big", ["ball", "dog", "red ball that was very shiny", "x"], 0),
        ("The sky is", ["blue", "sad"], "A"),
        ("Tom was very", ["happy", "sad", "tree"], "B"),
    ];

    private static string WriteQuestions(string dir, string? subject = null)
    {
        var path = Path.Combine(dir, "mc.jsonl");
        File.WriteAllLines(path, Questions.Select((q, i) => new JsonObject
        {
            ["id"] = $"q{i}", ["question"] = q.Question, ["choices"] = new JsonArray(q.Choices.Select(c => (JsonNode?)c).ToArray()),
            ["answer"] = q.Answer.DeepClone(), ["subject"] = subject,
        }.ToJsonString()));
        return path;
    }

    /// <summary>Σ log p(continuation | context) the harness's way: context + continuation encoded together, the context's own token count cut off.</summary>
    private static (double Ll, double Bound) HandLogLikelihood(CausalLM m, ModelTokenizer tokenizer, string context, string continuation, bool addBos)
    {
        var trimmed = context.TrimEnd();
        continuation = context[trimmed.Length..] + continuation;
        var whole = tokenizer.Encode(trimmed + continuation, addBos);
        int start = tokenizer.Encode(trimmed, addBos).Length;
        using var _ = no_grad();
        using var output = m.Forward(tensor(whole.Select(t => (long)t).ToArray()).unsqueeze(0));
        using var logProbs = output.Logits![0].to_type(ScalarType.Float64).log_softmax(-1);
        var nll = new List<double>();
        for (int t = start; t < whole.Length; t++) nll.Add(-logProbs[t - 1, whole[t]].item<double>());
        Assert.NotEmpty(nll);
        return (-nll.Sum(), Tolerances.NllSum(nll, Tolerances.Fp32Forward(m.Config, whole.Length)));
    }

    private static int ArgMax(IReadOnlyList<double> v) => Enumerable.Range(0, v.Count).Aggregate((best, j) => v[j] > v[best] ? j : best);

    /// <summary>Runs `sift eval --multiple-choice` and checks every row against the hand computation; returns the rows.</summary>
    private static List<JsonObject> RunAndCheck(string mode, string[] extra, Func<int, (string Context, string[] Continuations, string[] Choices, bool AddBos)> prompt)
    {
        var dir = Paths.NewTempDir();
        var file = WriteQuestions(dir, mode == "mmlu-chat" ? "high_school_biology" : mode == "mmlu" ? "anatomy" : null);
        var outDir = Path.Combine(dir, "eval");
        var (code, stdout, err) = CliRunner.Run(["eval", "--model", Model, "--multiple-choice", file, "--batch-size", "3", "--out", outDir, .. extra]);
        Assert.True(code == 0, err);
        var rows = File.ReadLines(Path.Combine(outDir, EvalSummary.MultipleChoiceFile)).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(Questions.Length, rows.Count);

        var tokenizer = ModelTokenizer.Load(Model);
        using var m = ModelFolder.Load(Model);
        for (int i = 0; i < Questions.Length; i++)
        {
            var (context, continuations, choices, addBos) = prompt(i);
            var row = rows[i];
            Assert.Equal($"q{i}", row["id"]!.GetValue<string>());
            var lls = row["loglikelihoods"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
            var hand = continuations.Select(c => HandLogLikelihood(m, tokenizer, context, c, addBos)).ToArray();
            for (int j = 0; j < hand.Length; j++) Assert.Equal(hand[j].Ll, lls[j], hand[j].Bound);
            Assert.Equal(choices.Select(c => c.Length), row["lengths"]!.AsArray().Select(v => v!.GetValue<int>()));

            // The picks by hand, and margins wider than the bounds, so the picks do not hang on rounding.
            var perChar = hand.Select((h, j) => h.Ll / choices[j].Length).ToArray();
            int pred = ArgMax(hand.Select(h => h.Ll).ToArray()), predNorm = ArgMax(perChar);
            for (int j = 0; j < hand.Length; j++)
            {
                if (j != pred) Assert.True(hand[pred].Ll - hand[j].Ll > hand[pred].Bound + hand[j].Bound, $"{mode} q{i}: choices {pred} and {j} too close");
                if (j != predNorm) Assert.True(perChar[predNorm] - perChar[j] > (hand[predNorm].Bound + hand[j].Bound) / Math.Min(choices[j].Length, choices[predNorm].Length), $"{mode} q{i}: normalized choices {predNorm} and {j} too close");
            }
            Assert.Equal(pred, row["pred"]!.GetValue<int>());
            Assert.Equal(predNorm, row["pred_norm"]!.GetValue<int>());
            int gold = row["gold"]!.GetValue<int>();
            Assert.Equal((pred == gold, predNorm == gold), (row["acc"]!.GetValue<bool>(), row["acc_norm"]!.GetValue<bool>()));
        }
        var summary = EvalSummary.Read(outDir).MultipleChoice!;
        Assert.Equal(rows.Count(r => r["acc"]!.GetValue<bool>()), summary.Correct);
        Assert.Equal(rows.Count(r => r["acc_norm"]!.GetValue<bool>()), summary.CorrectNorm);
        Assert.Equal((double)summary.Correct / Questions.Length, summary.Acc);
        Assert.Equal((double)summary.CorrectNorm / Questions.Length, summary.AccNorm);
        Assert.Contains($"multiple_choice acc {summary.Acc:P2} ({summary.Correct}/{Questions.Length})  acc_norm {summary.AccNorm:P2}", stdout);
        return rows;
    }

    [Fact]
    public void ClozeLogLikelihoodsAndPicksEqualTheHandComputationAndLengthNormalizationChangesThePick()
    {
        var rows = RunAndCheck("cloze", ["--choice-prompt", "cloze"], i =>
            ($"Question: {Questions[i].Question}\nAnswer:", Questions[i].Choices.Select(c => " " + c).ToArray(), Questions[i].Choices, true));
        // q0: acc picks "Tom", acc_norm the long right answer; q1: acc picks the right "ball", acc_norm the long choice.
        Assert.Equal([(1, 3, false, true), (0, 2, true, false), (0, 0, true, true), (2, 2, false, false)],
            rows.Select(r => (r["pred"]!.GetValue<int>(), r["pred_norm"]!.GetValue<int>(), r["acc"]!.GetValue<bool>(), r["acc_norm"]!.GetValue<bool>())));
        Assert.Equal([3, 0, 0, 1], rows.Select(r => r["gold"]!.GetValue<int>()));
    }

    [Fact]
    public void MmluPromptScoresTheLettersAfterTheListedChoices()
    {
        RunAndCheck("mmlu", [], i =>
        {
            var (question, choices, _) = Questions[i];
            var letters = choices.Select((_, j) => ((char)('A' + j)).ToString()).ToArray();
            var context = "The following are multiple choice questions (with answers) about anatomy.\n\n" + question + "\n" +
                          string.Concat(choices.Select((c, j) => $"{letters[j]}. {c}\n")) + "Answer:";
            return (context, letters.Select(l => " " + l).ToArray(), letters, true);
        });
    }

    [Fact]
    public void UnderTheChatTemplateTheQuestionIsAUserTurnAndTheChoicesFollowTheGenerationPrompt()
    {
        var template = ChatTemplate.ForModel(Model);
        RunAndCheck("mmlu-chat", ["--choice-chat"], i =>
        {
            var (question, choices, _) = Questions[i];
            var letters = choices.Select((_, j) => ((char)('A' + j)).ToString()).ToArray();
            var user = question + "\n" + string.Concat(choices.Select((c, j) => $"{letters[j]}. {c}\n")) + "Answer:";
            var context = template.Render([new ChatMessage(ChatMessage.System, "The following are multiple choice questions (with answers) about high school biology.\n\n"),
                                           new ChatMessage(ChatMessage.User, user)], addGenerationPrompt: true).Text;
            return (context, letters, letters, false);
        });
    }

    [Fact]
    public void ChoiceOptionsWithoutQuestionsAndUnknownPromptsAreRefused()
    {
        var dir = Paths.NewTempDir();
        var (code, _, err) = CliRunner.Run("eval", "--model", Model, "--ifeval", Paths.Asset("data", "ifeval", "input_data.jsonl"), "--choice-chat", "--out", dir);
        Assert.Equal(1, code);
        Assert.Equal("error: --choice-prompt and --choice-chat say how multiple-choice questions are asked; add --multiple-choice FILE", err.Trim());

        (code, _, err) = CliRunner.Run("eval", "--model", Model, "--multiple-choice", WriteQuestions(dir), "--choice-prompt", "arc", "--out", dir);
        Assert.Equal(1, code);
        Assert.Equal("error: unknown --choice-prompt 'arc'; choose one of mmlu, cloze", err.Trim());

        var missing = Path.Combine(dir, "none.jsonl");
        (code, _, err) = CliRunner.Run("eval", "--model", Model, "--multiple-choice", missing, "--out", dir);
        Assert.Equal(1, code);
        Assert.Equal($"error: {missing}: multiple-choice file not found (--multiple-choice)", err.Trim());
        Assert.False(File.Exists(Path.Combine(dir, EvalSummary.FileName)));
    }
}
