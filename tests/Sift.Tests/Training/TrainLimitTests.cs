using Sift.Config;
using Sift.Data;
using Sift.Data.Tokenization;
using Sift.Pipeline;
using Sift.Training;
using Sift.Training.Recipes;
using Sift.Tests.Tokenization;
using static Sift.Tests.Training.TrainCliTests;

namespace Sift.Tests.Training;

/// <summary>data.limit (and `sift train --limit`): absent from every recipe and key that does not set it, and part of a run's resume check.</summary>
public class TrainLimitTests
{
    private static TrainRecipe Bind(bool pretrain, string? limit, params string[] sets)
    {
        var tree = ConfigTree.Empty();
        TrainRecipe.ApplyCommandLine(tree, pretrain, pretrain ? "tok" : "base", pretrain ? "corpus.txt" : "train.jsonl", "out", sets, limit);
        return TrainRecipe.Bind(tree, pretrain);
    }

    /// <summary>The resolved recipes of the commit before data.limit existed, byte for byte: the run signature and resume settings are made from this text.</summary>
    private const string FineTuneYaml = """
        model: "base"
        data:
          train: "train.jsonl"
          eval: "heldout.jsonl"
          eval_fraction: 0
          format: "auto"
          columns: null
          template: null
          max_length: 1024
          over_length: "truncate"
          last_turn_only: false
          train_on_prompt: false
          packing: false
          group_by_length: true
          skip_invalid: false
          cache_dir: null
        objective:
          name: "neftune"
          neftune_noise_alpha: 5
          neftune_length: "per_sequence"
        optimizer:
          learning_rate: 2E-05
          weight_decay: 0
          adam_beta1: 0.9
          adam_beta2: 0.999
          adam_epsilon: 1E-08
          max_grad_norm: 1
        schedule:
          lr_scheduler_type: "cosine"
          warmup_ratio: 0.03
          warmup_steps: 0
          num_train_epochs: 3
          max_steps: -1
          per_device_train_batch_size: 8
          gradient_accumulation_steps: 1
        precision:
          dtype: "float32"
          master_weights: true
          gradient_checkpointing: false
        lora:
          r: 8
          lora_alpha: 16
          lora_dropout: 0
          target_modules: "all-linear"
          use_rslora: false
        eval:
          eval_steps: 0
          per_device_eval_batch_size: 8
        output:
          output_dir: "out"
          save_steps: 0
          save_total_limit: 2
          logging_steps: 1
          confidence_checkpoints: 0
          record_dynamics: false
          save_dtype: null
        seed: 42
        
        """;

    private const string PretrainYaml = """
        tokenizer: "tok"
        model_config:
          hidden_size: 64
        data:
          train: "corpus.txt"
          eval: null
          eval_fraction: 0
          format: "auto"
          columns: null
          template: null
          max_length: 1024
          over_length: "truncate"
          last_turn_only: false
          train_on_prompt: true
          packing: false
          group_by_length: true
          skip_invalid: false
          cache_dir: null
        objective:
          name: "ntp"
        optimizer:
          learning_rate: 0.001
          weight_decay: 0.1
          adam_beta1: 0.9
          adam_beta2: 0.95
          adam_epsilon: 1E-08
          max_grad_norm: 1
        schedule:
          lr_scheduler_type: "cosine"
          warmup_ratio: 0.05
          warmup_steps: 0
          num_train_epochs: 1
          max_steps: -1
          per_device_train_batch_size: 8
          gradient_accumulation_steps: 1
        precision:
          dtype: "float32"
          master_weights: true
          gradient_checkpointing: false
        eval:
          eval_steps: 0
          per_device_eval_batch_size: 8
        output:
          output_dir: "out"
          save_steps: 0
          save_total_limit: 2
          logging_steps: 1
          confidence_checkpoints: 0
          record_dynamics: false
          save_dtype: null
        seed: 42
        
        """;

    [Fact]
    public void WithoutALimitTheResolvedRecipeIsByteIdenticalToBefore()
    {
        Assert.Equal(FineTuneYaml, Bind(false, null, "data.eval=heldout.jsonl", "lora.r=8", "objective.name=neftune").ToYaml());
        Assert.Equal(PretrainYaml, Bind(true, null, "model_config.hidden_size=64").ToYaml());
        Assert.Equal(FineTuneYaml, Bind(false, null, "data.eval=heldout.jsonl", "lora.r=8", "objective.name=neftune", "data.limit=null").ToYaml());
    }

    [Fact]
    public void TheFlagAndTheKeySetTheSameLimitAndTheRecipeRecordsIt()
    {
        var flag = Bind(false, "5");
        Assert.Equal(5, flag.Data.Limit);
        Assert.Equal(flag.ToYaml(), Bind(false, null, "data.limit=5").ToYaml());
        Assert.Contains("  cache_dir: null\n  limit: 5\nobjective:", flag.ToYaml().Replace("\r\n", "\n"));
        Assert.Contains("first 5 examples of each file (data.limit)", flag.Summary());
        var (_, refused) = new ResumeSettings(ResumeSignature.Settings(Bind(false, null)), new HashSet<string>()).Compare(ResumeSignature.Settings(flag));
        Assert.Equal("data.limit 5 -> (unset)", Assert.Single(refused).ToString());
    }

    [Fact]
    public void ABadLimitInARecipeNamesTheFileAndLine()
    {
        var dir = TrainerFixtures.TempDir();
        var recipe = Path.Combine(dir, "recipe.yaml");
        File.WriteAllText(recipe, "model: base\ndata:\n  train: t.jsonl\n  limit: 0\noutput:\n  output_dir: out\n");
        var e = Assert.Throws<SiftException>(() => TrainRecipe.Bind(ConfigTree.Load(recipe), pretrain: false));
        Assert.StartsWith($"{recipe}:4: data.limit: expected a positive whole number of examples, got '0'", e.Message);
        e = Assert.Throws<SiftException>(() => Bind(false, null, "data.limit=all"));
        Assert.StartsWith("--set: data.limit: expected a positive whole number of examples, got 'all'", e.Message);
    }

    [Fact]
    public void PretrainingOnATextFileKeepsItsFirstNParagraphs()
    {
        var dir = TrainerFixtures.TempDir();
        var text = Path.Combine(dir, "corpus.txt");
        File.WriteAllText(text, "Once upon a time.\n\nThe dog ran.\n\nThe sun was hot.\n\nLily saw a cat.\n");
        var tokenizer = TokenizerFolders.Load("tok512");
        var template = TokenizerFolders.Template("plain", tokenizer);
        int Tokens(int? limit) => PretrainCorpus.Build(text, new DatasetOptions { Limit = limit }, tokenizer, template, blockLength: 1).Count;
        int TokensOf(string doc) => tokenizer.Encode(doc, addBos: tokenizer.BosId != null).Length + 1; // + EOS
        Assert.Equal(TokensOf("Once upon a time.") + TokensOf("The dog ran."), Tokens(2));
        Assert.Equal(Tokens(null), Tokens(4));
    }

    [Fact]
    public void ATokenizedCacheWithoutALimitKeepsItsKey()
    {
        var dir = Paths.NewTempDir("sift-cache");
        var data = Path.Combine(dir, "data.jsonl");
        File.WriteAllText(data, """
            {"instruction": "Say hi.", "output": "Hi there."}
            {"instruction": "Count to three.", "output": "1, 2, 3."}
            {"id": "named", "instruction": "Name a color.", "input": "Not red.", "output": "Blue."}
            """ + "\n");
        var model = Path.Combine(dir, "model");
        Directory.CreateDirectory(model);
        foreach (var name in new[] { "tokenizer.model", "tokenizer_config.json" })
            File.Copy(Path.Combine(TokenizerFolders.Stories260K, name), Path.Combine(model, name));
        var tokenizer = TokenizedDataset.TokenizerFor(model, new TokenizationOptions());
        string Key(int? limit) => Convert.ToHexStringLower(TokenizedCacheKey.Compute(data, new DatasetOptions { SkipInvalid = true, Limit = limit }, tokenizer));
        Assert.Equal("523c5a83a7bf69bcc556e55343db8652a690a914ac6aeff17f152d2570fa88a8", Key(null)); // the key before limits existed
        Assert.NotEqual(Key(null), Key(2));
        Assert.NotEqual(Key(2), Key(3));
        var limited = TokenizedDataset.LoadOrBuild(data, new DatasetOptions { Limit = 2 }, tokenizer, Path.Combine(dir, "cache"));
        Assert.Equal(2, limited.Examples.Count);
        Assert.Equal(3, TokenizedDataset.LoadOrBuild(data, new DatasetOptions(), tokenizer, Path.Combine(dir, "cache")).Examples.Count);
    }

    [Fact]
    public void ARunTrainsOnTheFirstNExamplesAndRefusesToResumeWithAnotherLimit()
    {
        var (model, data) = Fixture();
        var output = Path.Combine(TrainerFixtures.TempDir(), "out");
        string[] run = ["--set", "schedule.max_steps=4", "--set", "output.save_steps=2", "--limit", "8"];
        var (code, _, err) = CliRunner.Run(Args(model, data, output, run));
        Assert.True(code == 0, err);
        Assert.Contains("8 training examples", err);
        Assert.Contains("  limit: 8\n", File.ReadAllText(Path.Combine(output, RunFiles.Recipe.Name)));
        var checkpoint = Path.Combine(output, "checkpoints", "checkpoint-2");

        // The same data file read to another limit is other data: refused by the key, and by the token data's hash.
        (code, _, err) = CliRunner.Run(Args(model, data, output, [.. run[..^2], "--limit", "12", "--resume", checkpoint]));
        Assert.Equal(1, code);
        Assert.Contains("made with different settings: data.examples ", err);
        Assert.Contains("data.limit 8 -> 12", err);
        (code, _, err) = CliRunner.Run(Args(model, data, output, [.. run[..^2], "--resume", checkpoint]));
        Assert.Equal(1, code);
        Assert.Contains("data.limit 8 -> (unset)", err);
        (code, _, err) = CliRunner.Run(Args(model, data, output, [.. run, "--resume", checkpoint]));
        Assert.True(code == 0, err);
    }
}
