using System.Text.Json;
using Sift.Config;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Models;
using Sift.Training;
using Sift.Training.Recipes;

namespace Sift.Tests.Scoring;

/// <summary>A temp folder with tiny random models (stories260K tokenizer, vocab 512) and a small messages data file.</summary>
internal sealed class ScoringWorkspace
{
    public const int MaxLength = 48;
    public const string TooLongId = "too-long";

    public string Dir { get; } = Paths.NewTempDir("sift-score");
    public string Data { get; }
    public string Model { get; }

    public ScoringWorkspace()
    {
        Data = Path.Combine(Dir, "data.jsonl");
        string[] prompts = ["Tell me a story.", "Who is Lily?", "What did Tom see?", "Name a color.", "Where is the park?", "Say hello.",
                            "What is a ball?", "Why was she sad?", "Count to three.", "What did mom say?", "Is the sun hot?"];
        string[] answers = ["Once upon a time there was a girl.", "Lily is a little girl.", "Tom saw a big dog.", "Red.", "The park is near.", "Hello!",
                            "A ball is round and fun.", "She lost her toy.", "One, two, three.", "Mom said to come home.", "Yes, it is very hot."];
        var lines = prompts.Select((p, i) => Line($"q{i}", p, answers[i])).ToList();
        lines.Insert(4, Line(TooLongId, string.Join(" ", Enumerable.Repeat("The little dog ran and ran in the big green park.", 6)), "It was fun."));
        File.WriteAllLines(Data, lines);
        Model = SaveModel("model", seed: 1);
    }

    public int Count => 12;

    public string SaveModel(string name, long seed, int hidden = 32)
    {
        var dir = Path.Combine(Dir, name);
        var config = ModelConfig.Create(vocabSize: 512, hiddenSize: hidden, intermediateSize: 48, numLayers: 2, numHeads: 4, numKvHeads: 2);
        using var model = new CausalLM(config);
        model.InitializeWeights(seed, std: 0.1);
        ModelFolder.Save(model, dir, Paths.Asset("models", "stories260K-hf"));
        return dir;
    }

    public string Out(string name) => Path.Combine(Dir, name);

    /// <summary>Makes <paramref name="runDir"/> look like a run that fine-tuned <see cref="Model"/> on <see cref="Data"/>: its resolved recipe, with the extra settings.</summary>
    public void WriteRunRecipe(string runDir, params string[] sets)
    {
        var tree = ConfigTree.Empty();
        TrainRecipe.ApplyCommandLine(tree, pretrain: false, Model, Data, runDir, [$"data.max_length={MaxLength}", .. sets]);
        RunRecipe.Write(new RunFolder(runDir), TrainRecipe.Bind(tree, pretrain: false));
    }

    /// <summary>The examples as training would tokenize them for <paramref name="modelDir"/>.</summary>
    public Dictionary<string, TokenizedExample> Tokenized(string modelDir)
    {
        var tokenizer = TokenizedDataset.TokenizerFor(modelDir, new TokenizationOptions { MaxLength = MaxLength });
        return TokenizedDataset.LoadOrBuild(Data, new DatasetOptions(), tokenizer).Examples.ToDictionary(e => e.Id);
    }

    public static (int Code, string Out, string Err) Sift(params string[] args)
    {
        var (code, stdout, stderr) = CliRunner.Run(args);
        return (code, stdout, stderr);
    }

    public string[] Common(string outName, params string[] extra) =>
        ["--data", Data, "--out", Out(outName), "--max-length", $"{MaxLength}", "--batch-size", "4", .. extra];

    private static string Line(string id, string prompt, string answer) => JsonSerializer.Serialize(new
    {
        id,
        messages = new[] { new { role = "user", content = prompt }, new { role = "assistant", content = answer } },
    });
}
