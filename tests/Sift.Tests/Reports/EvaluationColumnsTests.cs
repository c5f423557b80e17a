using Sift.Eval;

namespace Sift.Tests.Reports;

/// <summary>The evaluation table of `sift report` shows the GSM8K, IFEval loose and multiple-choice numbers of eval.json.</summary>
public class EvaluationColumnsTests
{
    [Fact]
    public void HarnessGsm8kIfEvalLooseAndMultipleChoiceColumns()
    {
        var root = Paths.NewTempDir();
        var eval = Directory.CreateDirectory(Path.Combine(root, "tuned")).FullName;
        new EvalSummary
        {
            Model = "/models/tuned",
            Generation = new GenerationSummary { Matcher = "gsm8k", Examples = 8, Matched = 4, ExactMatch = 0.5, Gsm8k = new Gsm8kSummary { StrictMatch = 0.25, StrictMatched = 2, FlexibleExtract = 0.375, FlexibleMatched = 3 } },
            Ifeval = new IfEvalSummary { File = "/data/input_data.jsonl", PromptStrictAccuracy = 0.3, PromptLooseAccuracy = 0.35, InstructionStrictAccuracy = 0.4, InstructionLooseAccuracy = 0.45, PromptsWithUnsupported = 31 },
            MultipleChoice = new MultipleChoiceSummary { File = "/data/mmlu.jsonl", Prompt = "mmlu", Questions = 4, Correct = 1, CorrectNorm = 2, Acc = 0.25, AccNorm = 0.5 },
        }.Write(eval);
        var html = Path.Combine(root, "out", "report.html");
        var (code, _, err) = CliRunner.Run("report", "--evals", eval, "--out", html);
        Assert.True(code == 0, err);
        var md = File.ReadAllText(Path.Combine(root, "out", "report.md"));
        Assert.Contains("| model | exact match | GSM8K strict | GSM8K flexible | IFEval prompt strict | IFEval prompt loose | IFEval instruction strict | IFEval instruction loose | MC acc | MC acc_norm |", md);
        Assert.Contains("| tuned | 50.0% | 25.0% | 37.5% | 30.0% | 35.0% | 40.0% | 45.0% | 25.0% | 50.0% |", md);
        Assert.Contains("IFEval strict and loose accuracy on input_data.jsonl", md);
        Assert.Contains("multiple-choice log-likelihood acc and acc_norm (length-normalized) on mmlu.jsonl (mmlu prompt)", md);
    }
}
