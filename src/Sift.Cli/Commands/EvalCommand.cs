using System.CommandLine;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Tokenization;
using Sift.Distributed;
using Sift.Eval;
using Sift.Models;
using Sift.Scoring;
using Sift.Training;

namespace Sift.Cli.Commands;

/// <summary>`sift eval`: held-out loss, exact match of generated answers, IFEval checks, multiple-choice accuracy; `sift eval auroc`: noise-detection AUROC of scores.</summary>
public static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model folder in Hugging Face layout (e.g. RUN/model of `sift train`)", Required = true }.Input();
        var data = new Option<string?>("--data") { Description = "Held-out data file (.jsonl, .json, .jsonl.zst, .parquet; any supported layout)" }.Input();
        var read = new DataReadOptions($"Record layout of --data: {DataLayoutNames.Choices}", "Field renames of --data, e.g. prompt=question,response=answer (GSM8K)",
            "Skip invalid records of --data (counted) instead of stopping at the first", DataReadOptions.LimitOfDataHelp);
        var template = new Option<string?>("--template") { Description = "Chat template name, overriding the one detected (use the training setting)" };
        var maxLength = new Option<int>("--max-length") { Description = "Tokens per example for the loss; longer ones are truncated (use the training setting)", DefaultValueFactory = _ => new TokenizationOptions().MaxLength };
        var lastTurn = new Option<bool>("--last-turn-only") { Description = "Score only the last assistant turn (use the training setting)" };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per forward pass, and prompts generated together", DefaultValueFactory = _ => 8 };
        var dtype = new Option<string?>("--dtype") { Description = "float32 or bfloat16 (default: the checkpoint's)" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "Folder for tokenized-data caches" };
        var device = DeviceOption.Create();
        var generate = new Option<bool>("--generate") { Description = "Answer each example's prompt (the conversation before its last assistant turn) greedily and compare with that turn" };
        var matcher = new Option<string?>("--matcher") { Description = $"How --generate compares answers: {AnswerMatchers.Choices} (gsm8k: final numbers, the reference's after ####, compared as numbers; " +
                                                                        "gsm8k-strict / gsm8k-flexible: lm-evaluation-harness's strict-match / flexible-extract; any gsm8k matcher reports both harness accuracies too)" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Longest generated answer, in tokens", DefaultValueFactory = _ => 256 };
        var stop = new Option<string[]>("--stop") { Description = "Also end an answer where this text appears (repeatable); EOS and the template's end of turn always end it" };
        var ifeval = new Option<string?>("--ifeval") { Description = "IFEval input_data.jsonl (key, prompt, instruction_id_list, kwargs): answer each prompt and check its instructions" }.Input();
        var multipleChoice = new Option<string?>("--multiple-choice") { Description = $"Multiple-choice questions, JSONL {MultipleChoiceQuestions.Layout}: log-likelihood accuracy acc and acc_norm as lm-evaluation-harness computes them" }.Input();
        var choicePrompt = new Option<string>("--choice-prompt") { Description = $"How a question is put to the model: {MultipleChoicePrompts.Names} (mmlu: the harness's MMLU prompt, choices lettered, continuations \" A\"…; cloze: \"Question: …\\nAnswer:\", continuations \" <choice text>\")", DefaultValueFactory = _ => "mmlu" };
        var choiceChat = new Option<bool>("--choice-chat") { Description = "Put each question through the chat template (user turn, generation prompt) instead of raw text; the choices then follow without a space" };
        var output = new Option<string?>("--out") { Description = "Output folder for eval.json, eval_examples.jsonl, ifeval_responses.jsonl, multiple_choice.jsonl (default: RUN/eval for RUN/model of a training run, else ./eval)" };

        var command = new Command("eval", "Evaluate a model: held-out response loss, perplexity and token accuracy; exact match of greedy answers (--generate); " +
                                          "IFEval strict and loose accuracy (--ifeval); multiple-choice log-likelihood accuracy (--multiple-choice). Writes OUT/eval.json and per-example rows.")
        {
            model, data, read, template, maxLength, lastTurn, batchSize, dtype, device, cacheDir, generate, matcher, maxNew, stop, ifeval,
            multipleChoice, choicePrompt, choiceChat, output,
        };
        command.Subcommands.Add(Auroc());
        command.SetJob((parse, context) =>
        {
            MpiLaunch.RequireSingleProcess("sift eval", Environment.GetEnvironmentVariable);
            var modelDir = parse.GetValue(model)!;
            AnswerMatcher? chosen = null;
            if (parse.GetValue(generate))
                chosen = parse.GetValue(matcher) is { } name ? AnswerMatchers.Parse(name) : throw new SiftException($"--generate needs --matcher ({AnswerMatchers.Choices})");
            else if (parse.GetValue(matcher) != null)
                throw new SiftException("--matcher compares generated answers; add --generate");
            var mcPath = InputFiles.RequireIfGiven(parse.GetValue(multipleChoice), "--multiple-choice", "multiple-choice file");
            var prompt = MultipleChoicePrompts.Parse(parse.GetValue(choicePrompt) ?? "mmlu");
            if (mcPath == null && (parse.GetResult(choicePrompt) is { Implicit: false } || parse.GetValue(choiceChat)))
                throw new SiftException("--choice-prompt and --choice-chat say how multiple-choice questions are asked; add --multiple-choice FILE");
            var outDir = parse.GetValue(output) ?? DefaultOut(modelDir);
            var summary = EvalJob.Run(new EvalSettings
            {
                Model = modelDir,
                OutDir = outDir,
                DataPath = InputFiles.RequireIfGiven(parse.GetValue(data), "--data"),
                Read = read.Bind(parse),
                Tokenization = new TokenizationOptions { MaxLength = parse.GetValue(maxLength), LastTurnOnly = parse.GetValue(lastTurn) },
                Template = parse.GetValue(template),
                CacheDir = parse.GetValue(cacheDir),
                DType = DTypes.Parse(parse.GetValue(dtype), "--dtype"),
                Device = DeviceOption.Resolve(parse, device),
                BatchSize = parse.GetValue(batchSize),
                Matcher = chosen,
                MaxNewTokens = parse.GetValue(maxNew),
                StopStrings = parse.GetValue(stop) ?? [],
                IfEvalPath = InputFiles.RequireIfGiven(parse.GetValue(ifeval), "--ifeval", "IFEval prompt file"),
                MultipleChoicePath = mcPath,
                ChoicePrompt = prompt,
                ChoiceChat = parse.GetValue(choiceChat),
            }, context);
            Print(summary, outDir);
            return 0;
        });
        return command;
    }

    /// <summary>RUN/eval beside RUN/model of a training run, so `sift report RUN` finds it; ./eval otherwise.</summary>
    private static string DefaultOut(string modelDir)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(modelDir).TrimEnd(Path.DirectorySeparatorChar));
        return parent != null && new RunFolder(parent) is { HoldsARun: true } run ? run.EvalDir : "eval";
    }

    private static void Print(EvalSummary s, string outDir)
    {
        if (s.EvalLoss is { } loss)
            Console.WriteLine($"eval_loss {loss:F4}  eval_perplexity {s.EvalPerplexity:F3}  eval_token_accuracy {s.EvalTokenAccuracy:P2}  ({s.Examples} examples, {s.Tokens} response tokens)");
        if (s.Generation is { } g)
            Console.WriteLine($"exact_match ({g.Matcher}) {g.ExactMatch:P2}  ({g.Matched}/{g.Examples}; {g.GeneratedTokens} tokens in {g.Seconds:F1}s, {g.TokensPerSecond:F1} generated tok/s)" +
                              (g.Gsm8k is { } h ? $"\ngsm8k strict_match {h.StrictMatch:P2} ({h.StrictMatched}/{g.Examples})  flexible_extract {h.FlexibleExtract:P2} ({h.FlexibleMatched}/{g.Examples})" : ""));
        if (s.Ifeval is { } i)
            Console.WriteLine($"ifeval prompt_strict_accuracy {i.PromptStrictAccuracy:P2}  prompt_loose_accuracy {i.PromptLooseAccuracy:P2} ({i.PromptsScored} prompts)  " +
                              $"instruction_strict_accuracy {i.InstructionStrictAccuracy:P2}  instruction_loose_accuracy {i.InstructionLooseAccuracy:P2} ({i.InstructionsScored} instructions)" +
                              (i.Unsupported.Count > 0 ? $"  unsupported, not scored: {string.Join(", ", i.Unsupported.Select(kv => $"{kv.Key} x{kv.Value}"))}" : ""));
        if (s.MultipleChoice is { } mc)
            Console.WriteLine($"multiple_choice acc {mc.Acc:P2} ({mc.Correct}/{mc.Questions})  acc_norm {mc.AccNorm:P2} ({mc.CorrectNorm}/{mc.Questions})  " +
                              $"(prompt {mc.Prompt}{(mc.ChatTemplate ? ", chat template" : "")}{(mc.Truncated > 0 ? $", {mc.Truncated} contexts truncated" : "")})");
        Console.WriteLine($"wrote {Path.Combine(outDir, EvalSummary.FileName)}");
    }

    private static Command Auroc()
    {
        var scores = new Option<string>("--scores") { Description = "Score table (.parquet or .jsonl) from `sift score`", Required = true }.Input();
        var labels = new Option<string>("--labels") { Description = "The data file that was scored, with a true/false label field per example (ids are matched as `sift` assigns them)", Required = true }.Input();
        var labelField = new Option<string>("--label-field") { Description = "The label field of --labels; true marks a positive (e.g. a noisy example)", DefaultValueFactory = _ => "noisy" };
        var columns = new Option<string?>("--columns") { Description = "Score columns to test, comma separated (default: every score column of the table)" };
        var format = new Option<string>("--label-format") { Description = $"Record layout of --labels: {DataLayoutNames.Choices}", DefaultValueFactory = _ => "auto" };
        var renames = new Option<string?>("--label-columns") { Description = "Field renames of --labels, e.g. prompt=question,response=answer" };
        var orientation = new Option<string?>("--orientation") { Description = "Which end flags a doubtful example, for columns Sift does not know: COLUMN=high or COLUMN=low, comma separated" };
        var stratify = new Option<string?>("--stratify") { Description = "A field of --labels (e.g. task or source): also report the AUROC over pairs of the same value, which scores whose level differs between tasks do not lose" };
        var output = new Option<string>("--out") { Description = "Output folder for auroc.jsonl", DefaultValueFactory = _ => "eval" };
        var command = new Command("auroc", "Noise-detection AUROC of each score column against a label field, joined by example id. Each score is read in the orientation its method defines (e.g. low SFTMix confidence, low LoBaSS learnability and high loss flag an example), fixed before seeing labels, so an AUROC below 0.5 means the score flags the clean examples.")
        {
            scores, labels, labelField, columns, format, renames, orientation, stratify, output,
        };
        command.SetJob((parse, _) =>
        {
            var tablePath = InputFiles.Require(parse.GetValue(scores)!, "--scores", "score table");
            var labelsPath = InputFiles.Require(parse.GetValue(labels)!, "--labels");
            var table = ScoreTableFiles.Read(tablePath);
            var read = new DatasetOptions { Layout = DataLayoutNames.Parse(parse.GetValue(format) ?? "auto"), Columns = ColumnMapping.Parse(parse.GetValue(renames)) };
            var byId = NoiseDetection.ReadLabels(labelsPath, read, parse.GetValue(labelField)!);
            var chosen = parse.GetValue(columns)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var strata = parse.GetValue(stratify) is { } field ? NoiseDetection.ReadStrata(labelsPath, read, field) : null;
            var results = NoiseDetection.Compute(table, tablePath, byId, labelsPath, chosen, NoiseDetection.ParseOrientations(parse.GetValue(orientation)), strata);
            var path = Path.Combine(parse.GetValue(output)!, NoiseDetection.FileName);
            NoiseDetection.Write(path, results);
            int width = Math.Max(6, results.Max(r => r.Column.Length));
            var within = strata != null ? "  within " + parse.GetValue(stratify) : "";
            Console.WriteLine($"{"score".PadRight(width)}  AUROC   orientation      positives  negatives{within}");
            foreach (var r in results)
                Console.WriteLine($"{r.Column.PadRight(width)}  {NoiseDetection.Format(r.Auroc)}  {r.OrientationText,-15}  {r.Positives,9}  {r.Negatives,9}" +
                                  (strata != null ? $"  {NoiseDetection.Format(r.WithinAuroc)}" : ""));
            Console.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }
}
