using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Eval;
using Sift.Generation;
using Sift.Models;
using Sift.Text;
using Sift.Text.Templates;
using static TorchSharp.torch;

namespace Sift.Tests.Eval;

/// <summary>`sift eval` on files: its numbers against values computed here from the model's logits, and its errors.</summary>
public class EvalCommandTests
{
    private static readonly string Tokenizer = Paths.Asset("models", "stories260K-hf");

    /// <summary>A random 512-vocab model with the stories260K tokenizer (plain template), and Alpaca-style records.</summary>
    private static (string Model, string Data, string Dir) Fixture()
    {
        var dir = Paths.NewTempDir();
        var model = Path.Combine(dir, "model");
        using (var m = new CausalLM(ModelConfig.Create(vocabSize: 512, hiddenSize: 32, intermediateSize: 64, numLayers: 2, numHeads: 4, numKvHeads: 2)))
        {
            m.InitializeWeights(5, std: 0.1);
            ModelFolder.Save(m, model, Tokenizer);
        }
        var data = Path.Combine(dir, "heldout.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 6).Select(i => new JsonObject
        {
            ["instruction"] = $"Add {i} and {i + 2}.", ["input"] = i % 2 == 0 ? "" : "Show the sum only.", ["output"] = $"The sum is {2 * i + 2}.",
        }.ToJsonString()));
        return (model, data, dir);
    }

    private static List<JsonObject> Lines(string path) => File.ReadLines(path).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    [Fact]
    public void HeldOutLossAccuracyAndPerplexityEqualValuesComputedFromTheLogits()
    {
        // The trained stories260K model, so that some response tokens are predicted right.
        var (_, data, dir) = Fixture();
        var model = Tokenizer;
        var outDir = Path.Combine(dir, "eval");
        var (code, stdout, err) = CliRunner.Run("eval", "--model", model, "--data", data, "--max-length", "64", "--batch-size", "4", "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("wrote " + Path.Combine(outDir, "eval.json"), stdout);
        var summary = EvalSummary.Read(outDir);
        var rows = Lines(Path.Combine(outDir, EvalSummary.ExamplesFile)).ToDictionary(r => r["id"]!.GetValue<string>());

        // Each example alone, unpadded: NLL of every response token from full-vocabulary float64 log-softmax.
        var tokenizer = new ExampleTokenizer(ModelTokenizer.Load(model), ChatTemplate.ForModel(model), new TokenizationOptions { MaxLength = 64 });
        using var m = ModelFolder.Load(model);
        double forward = Tolerances.Fp32Forward(m.Config, 64); // MaxLength 64
        double nllSum = 0;
        long tokens = 0, correct = 0;
        int examples = 0;
        using (no_grad())
        {
            foreach (var conversation in DatasetReader.Read(data, new DatasetOptions()))
            {
                var example = tokenizer.Tokenize(conversation).Example!;
                using var output = m.Forward(tensor(example.Tokens.Select(t => (long)t).ToArray()).unsqueeze(0));
                var logProbs = output.Logits![0].to_type(ScalarType.Float64).log_softmax(-1);
                double exampleNll = 0;
                int exampleTokens = 0, exampleCorrect = 0;
                for (int t = 1; t < example.Length; t++)
                {
                    if (!example.Trained[t]) continue;
                    exampleNll -= logProbs[t - 1, example.Tokens[t]].item<double>();
                    exampleTokens++;
                    if (logProbs[t - 1].argmax().item<long>() == example.Tokens[t]) exampleCorrect++;
                }
                var row = rows[example.Id];
                // Batched fp32 eval vs this example alone: Tolerances.Fp32Forward, ×(1 + loss) as in NllMean.
                Assert.Equal(exampleNll / exampleTokens, row["loss"]!.GetValue<double>(), forward * (1 + exampleNll / exampleTokens));
                Assert.Equal(exampleTokens, row["tokens"]!.GetValue<int>());
                Assert.Equal((double)exampleCorrect / exampleTokens, row["token_accuracy"]!.GetValue<double>()); // same integer ratio
                nllSum += exampleNll;
                tokens += exampleTokens;
                correct += exampleCorrect;
                examples++;
            }
        }
        Assert.Equal(6, examples);
        Assert.Equal(examples, summary.Examples);
        Assert.Equal(tokens, summary.Tokens);
        double lossBound = forward * (1 + nllSum / tokens);
        Assert.Equal(nllSum / tokens, summary.EvalLoss!.Value, lossBound);
        Assert.Equal(Math.Exp(nllSum / tokens), summary.EvalPerplexity!.Value, Math.Exp(nllSum / tokens) * lossBound * 1.01);
        Assert.Equal((double)correct / tokens, summary.EvalTokenAccuracy!.Value); // same integer ratio
        Assert.InRange(correct, 1, tokens - 1);
        Assert.Null(summary.Generation);
    }

    [Fact]
    public void ExactMatchComparesGreedyAnswersToEachExamplesLastAssistantTurn()
    {
        var (model, data, dir) = Fixture();
        var first = Path.Combine(dir, "first");
        var (code, _, err) = CliRunner.Run("eval", "--model", model, "--data", data, "--generate", "--matcher", "exact", "--max-new-tokens", "6", "--batch-size", "4", "--out", first);
        Assert.True(code == 0, err);

        // The answers equal those of the model generating each prompt alone, decoded here.
        var tokenizer = ModelTokenizer.Load(model);
        var template = ChatTemplate.ForModel(model);
        using var m = ModelFolder.Load(model);
        var stopIds = new HashSet<int>(m.Config.EosTokenIds);
        var conversations = DatasetReader.Read(data, new DatasetOptions()).ToList();
        var rows = Lines(Path.Combine(first, EvalSummary.ExamplesFile));
        Assert.Equal(conversations.Select(c => c.Id), rows.Select(r => r["id"]!.GetValue<string>()));
        for (int i = 0; i < conversations.Count; i++)
        {
            var prompt = tokenizer.Encode(template.Render(conversations[i].Messages.Take(conversations[i].Messages.Count - 1).ToList(), addGenerationPrompt: true).Text, addBos: false);
            var ids = TextGenerator.Generate(m, prompt, 6, new SamplingOptions(), stopIds).ToList();
            Assert.Equal(tokenizer.Decode(ids), rows[i]["generated"]!.GetValue<string>());
            Assert.Equal(conversations[i].Messages[^1].Content, rows[i]["reference"]!.GetValue<string>());
            Assert.False(rows[i]["match"]!.GetValue<bool>());
        }
        Assert.Equal(0, EvalSummary.Read(first).Generation!.Matched);

        // References set to the model's own answers (padded with spaces: the exact matcher trims) for examples 0, 2 and 5.
        var answers = Path.Combine(dir, "answers.jsonl");
        File.WriteAllLines(answers, conversations.Select((c, i) => new JsonObject
        {
            ["messages"] = new JsonArray(
                new JsonObject { ["role"] = "user", ["content"] = c.Messages[0].Content },
                new JsonObject { ["role"] = "assistant", ["content"] = i is 0 or 2 or 5 ? $" {rows[i]["generated"]!.GetValue<string>().Trim()}  " : c.Messages[^1].Content }),
        }.ToJsonString()));
        var second = Path.Combine(dir, "second");
        (code, var stdout, err) = CliRunner.Run("eval", "--model", model, "--data", answers, "--generate", "--matcher", "exact", "--max-new-tokens", "6", "--out", second);
        Assert.True(code == 0, err);
        var generation = EvalSummary.Read(second).Generation!;
        Assert.Equal((3, 6, "exact"), (generation.Matched, generation.Examples, generation.Matcher));
        Assert.Equal(0.5, generation.ExactMatch);
        Assert.Contains("exact_match (exact) 50.00 %", stdout);
        Assert.Equal([true, false, true, false, false, true], Lines(Path.Combine(second, EvalSummary.ExamplesFile)).Select(r => r["match"]!.GetValue<bool>()));
    }

    [Fact]
    public void Gsm8kMatchersAlsoReportTheHarnessStrictAndFlexibleReadings()
    {
        var (model, _, dir) = Fixture();
        // References alternate a number and the harness's fallback "[invalid]": as in lm-evaluation-harness, an
        // answer the filter cannot read is "[invalid]" too and so matches such a reference.
        var data = Path.Combine(dir, "gsm8k.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, 4).Select(i => new JsonObject
        {
            ["question"] = $"What is {i} + {i}?", ["answer"] = i % 2 == 0 ? $"{i} + {i} = <<{i}+{i}={2 * i}>>{2 * i}\n#### {2 * i}" : "#### [invalid]",
        }.ToJsonString()));
        var outDir = Path.Combine(dir, "gsm8k");
        var (code, stdout, err) = CliRunner.Run("eval", "--model", model, "--data", data, "--columns", "prompt=question,response=answer", "--generate",
            "--matcher", "gsm8k-strict", "--max-new-tokens", "6", "--max-length", "64", "--out", outDir);
        Assert.True(code == 0, err);
        var rows = Lines(Path.Combine(outDir, EvalSummary.ExamplesFile));
        foreach (var row in rows)
        {
            var (generated, reference) = (row["generated"]!.GetValue<string>(), row["reference"]!.GetValue<string>());
            Assert.Equal(Gsm8kAnswers.Strict(generated), row["strict_extracted"]!.GetValue<string>());
            Assert.Equal(Gsm8kAnswers.Flexible(generated), row["flexible_extracted"]!.GetValue<string>());
            Assert.Equal(Gsm8kAnswers.StrictMatch(generated, reference), row["strict_match"]!.GetValue<bool>());
            Assert.Equal(Gsm8kAnswers.FlexibleMatch(generated, reference), row["flexible_match"]!.GetValue<bool>());
            Assert.Equal(row["strict_match"]!.GetValue<bool>(), row["match"]!.GetValue<bool>()); // the chosen matcher is strict-match
        }
        var generation = EvalSummary.Read(outDir).Generation!;
        Assert.Equal("gsm8k-strict", generation.Matcher);
        int strict = rows.Count(r => r["strict_match"]!.GetValue<bool>()), flexible = rows.Count(r => r["flexible_match"]!.GetValue<bool>());
        Assert.Equal((strict, flexible), (generation.Gsm8k!.StrictMatched, generation.Gsm8k.FlexibleMatched));
        Assert.Equal((strict / 4.0, flexible / 4.0, strict / 4.0), (generation.Gsm8k.StrictMatch, generation.Gsm8k.FlexibleExtract, generation.ExactMatch));
        Assert.InRange(strict, 1, 4); // the random model writes no "#### N", so the "[invalid]" references match
        Assert.Contains($"gsm8k strict_match {generation.Gsm8k.StrictMatch:P2} ({strict}/4)  flexible_extract {generation.Gsm8k.FlexibleExtract:P2} ({flexible}/4)", stdout);

        // Other matchers leave the harness's readings out.
        (code, _, err) = CliRunner.Run("eval", "--model", model, "--data", data, "--columns", "prompt=question,response=answer", "--generate",
            "--matcher", "exact", "--max-new-tokens", "2", "--max-length", "64", "--out", Path.Combine(dir, "exact"));
        Assert.True(code == 0, err);
        Assert.Null(EvalSummary.Read(Path.Combine(dir, "exact")).Generation!.Gsm8k);
        Assert.DoesNotContain("strict_match", File.ReadAllText(Path.Combine(dir, "exact", EvalSummary.ExamplesFile)));
    }

    [Fact]
    public void IfEvalWritesPerPromptChecksAndCountsUnsupportedInstructions()
    {
        var (model, _, dir) = Fixture();
        var input = Path.Combine(dir, "input_data.jsonl");
        File.WriteAllLines(input,
        [
            """{"key": 7, "prompt": "Write a story.", "instruction_id_list": ["punctuation:no_comma", "language:response_language"], "kwargs": [{}, {"language": "fr"}]}""",
            """{"key": 8, "prompt": "Write a longer story about a cat.", "instruction_id_list": ["length_constraints:number_words"], "kwargs": [{"relation": "at least", "num_words": 1000}]}""",
        ]);
        var outDir = Path.Combine(dir, "ifeval");
        var (code, stdout, err) = CliRunner.Run("eval", "--model", model, "--ifeval", input, "--max-new-tokens", "5", "--out", outDir);
        Assert.True(code == 0, err);
        Assert.Contains("unsupported, not scored: language:response_language x1", stdout);
        var ifeval = EvalSummary.Read(outDir).Ifeval!;
        Assert.Equal((2, 1, 1), (ifeval.Prompts, ifeval.PromptsScored, ifeval.PromptsWithUnsupported));
        Assert.Equal(0.0, ifeval.PromptStrictAccuracy); // 5 tokens are never 1000 words
        Assert.Equal(0.0, ifeval.PromptLooseAccuracy);
        Assert.Equal(new Dictionary<string, int> { ["language:response_language"] = 1 }, ifeval.Unsupported);
        var rows = Lines(Path.Combine(outDir, EvalSummary.IfEvalFile));
        Assert.Equal(["7", "8"], rows.Select(r => r["key"]!.GetValue<string>()));
        var response = rows[0]["response"]!.GetValue<string>();
        Assert.Equal(!response.Contains(','), rows[0]["follow_instruction_list"]![0]!.GetValue<bool>());
        Assert.Null(rows[0]["follow_instruction_list"]![1]);
        Assert.Null(rows[0]["follow_all_instructions"]);
        Assert.False(rows[1]["follow_all_instructions"]!.GetValue<bool>());
        // The loose verdict of the comma rule: the response or one of its variants without a line or '*' has no comma.
        var loose = IfEvalVerdicts.Loose("punctuation:no_comma", response, JsonDocument.Parse("{}").RootElement);
        Assert.Equal(loose, rows[0]["follow_instruction_list_loose"]![0]!.GetValue<bool>());
        Assert.Null(rows[0]["follow_all_instructions_loose"]);
        Assert.False(rows[1]["follow_all_instructions_loose"]!.GetValue<bool>());
        Assert.Contains("prompt_loose_accuracy", stdout);
    }

    /// <summary>
    /// A second eval into the same folder that evaluates something else leaves none of the first one's rows behind:
    /// a report would otherwise pair the new eval.json with the old eval_examples.jsonl.
    /// </summary>
    [Fact]
    public void AnEarlierEvalsRowsDoNotStayBesideANewSummary()
    {
        var (model, data, dir) = Fixture();
        var input = Path.Combine(dir, "input_data.jsonl");
        File.WriteAllText(input, """{"key": 1, "prompt": "Write a story.", "instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]}""" + "\n");
        var outDir = Path.Combine(dir, "eval");
        var (code, _, err) = CliRunner.Run("eval", "--model", model, "--data", data, "--max-length", "64", "--out", outDir);
        Assert.True(code == 0, err);
        Assert.NotNull(EvalSummary.Read(outDir).ExamplesPath);
        (code, _, err) = CliRunner.Run("eval", "--model", model, "--ifeval", input, "--max-new-tokens", "3", "--out", outDir);
        Assert.True(code == 0, err);
        var second = EvalSummary.Read(outDir);
        Assert.Null(second.EvalLoss);
        Assert.Null(second.ExamplesPath);
        Assert.Equal([EvalSummary.FileName, EvalSummary.IfEvalFile], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).Cast<string>());
    }

    /// <summary>A stop asked for while answers are generated ends the job at the next batch, before any file is written.</summary>
    [Fact]
    public void AStoppedEvalEndsBetweenBatchesAndWritesNothing()
    {
        var (model, data, dir) = Fixture();
        var outDir = Path.Combine(dir, "stopped");
        using var stop = new CancellationTokenSource();
        var said = new List<string>();
        var context = new JobContext(line => { said.Add(line); if (line.StartsWith("generated 1/")) stop.Cancel(); }, stop.Token);
        Assert.Throws<OperationCanceledException>(() => EvalJob.Run(new EvalSettings
        {
            Model = model, OutDir = outDir, DataPath = data, Tokenization = new TokenizationOptions { MaxLength = 64 },
            Matcher = AnswerMatcher.Exact, MaxNewTokens = 3, BatchSize = 1,
        }, context));
        Assert.Contains(said, l => l.StartsWith("generated 1/"));
        Assert.DoesNotContain(said, l => l.StartsWith("generated 2/"));
        Assert.Empty(Directory.GetFiles(outDir));
    }

    [Fact]
    public void BadInputStopsWithOneLineNamingTheProblem()
    {
        var (model, data, dir) = Fixture();
        var missing = Path.Combine(dir, "no-such-model");
        var (code, _, err) = CliRunner.Run("eval", "--model", missing, "--data", data);
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {missing}: model folder not found", err);

        (code, _, err) = CliRunner.Run("eval", "--model", model, "--data", data, "--generate", "--matcher", "fuzzy");
        Assert.Equal(1, code);
        Assert.Equal("error: unknown matcher 'fuzzy'; choose one of gsm8k, gsm8k-strict, gsm8k-flexible, exact, contains", err.Trim());

        (code, _, err) = CliRunner.Run("eval", "--model", model, "--data", data, "--generate");
        Assert.Equal(1, code);
        Assert.Contains("--generate needs --matcher (gsm8k, gsm8k-strict, gsm8k-flexible, exact, contains)", err);

        var questions = Path.Combine(dir, "questions.jsonl");
        File.WriteAllLines(questions, ["""{"messages": [{"role": "user", "content": "What is 2 + 2?"}, {"role": "assistant", "content": "4"}]}""",
                                       """{"messages": [{"role": "user", "content": "And 3 + 3?"}]}"""]);
        (code, _, err) = CliRunner.Run("eval", "--model", model, "--data", questions, "--generate", "--matcher", "exact", "--out", Path.Combine(dir, "q"));
        Assert.Equal(1, code);
        Assert.StartsWith($"error: {questions}:2: field 'messages': needs at least one user and one assistant message", err);
        Assert.Contains("--generate needs every example to end with an assistant answer", err);
        Assert.False(File.Exists(Path.Combine(dir, "q", "eval.json")));

        (code, _, err) = CliRunner.Run("eval", "--model", model);
        Assert.Equal(1, code);
        Assert.Contains("nothing to evaluate", err);
    }

    [Fact]
    public void GenerateResultsArePrintedOnce()
    {
        var (model, data, dir) = Fixture();
        var (code, stdout, err) = CliRunner.Run("eval", "--model", model, "--data", data, "--generate", "--matcher", "exact", "--max-new-tokens", "4",
            "--max-length", "64", "--out", Path.Combine(dir, "once"));
        Assert.True(code == 0, err);
        var all = stdout + err;
        Assert.Single(all.Split('\n'), l => l.Contains("exact_match") || l.Contains("exact match"));
        Assert.Single(all.Split('\n'), l => l.Contains("eval_loss"));
    }
}
