using System.Text;
using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Operations;
using Sift.Data.Tokenization;
using Sift.IO;
using Sift.Models;
using Sift.Native;
using Sift.Text;
using Sift.Text.Templates;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Training.Recipes;

/// <summary>Everything `sift train` and `sift pretrain` do around the trainer: model, tokenizer, data, objective, outputs.</summary>
public sealed class TrainRun(TrainRecipe recipe)
{
    private HashSet<string>? _confidentIds;

    public Action<StepReport>? OnStep { get; init; }
    public Action<string> OnMessage { get; init; } = _ => { };

    /// <summary>Called with the path of OUT/sift_recipe.yaml once the run has passed every check and starts (or resumes).</summary>
    public Action<string>? OnStarted { get; init; }

    /// <param name="resume">A checkpoint folder, "latest", or null for a fresh run.</param>
    public TrainingResult Run(string? resume, bool overwrite, CancellationToken cancel)
    {
        var outDir = recipe.OutputDir;
        var run = new RunFolder(outDir);
        using var folderLock = FolderLock.Acquire(outDir);
        RemoveStagingLeftovers(run);
        var store = new CheckpointStore(outDir, recipe.Training.SaveTotalLimit);
        string? resumeFrom = resume switch
        {
            null => null,
            "latest" => store.Latest() ?? throw new SiftException($"{outDir}: there is no checkpoint to resume from; run without --resume"),
            _ => Directory.Exists(resume) ? resume : throw new SiftException($"{resume}: checkpoint folder not found"),
        };
        if (resumeFrom == null && store.Latest() is { } existing)
        {
            if (!overwrite) throw new SiftException($"{outDir} already holds a run ({existing}); pass --resume to continue it, or --overwrite to start over");
            run.RemovePreviousRun();
        }

        var dtype = recipe.Training.ComputeDType;
        var tokenizerDir = recipe.Model.Tokenizer ?? recipe.Model.Path!;
        var tokenizer = ModelTokenizer.Load(tokenizerDir);
        using var model = LoadModel(tokenizer, dtype);
        tokenizer.CheckFitsModel(model.Config.VocabSize);
        model.MoveTo(ComputeDevice.Resolve(recipe.Device, "device")); // before LoRA, whose matrices are made beside the weights
        var template = ChatTemplate.ForModel(tokenizerDir, RunTokenization.TemplateOf(recipe));
        var (train, eval) = LoadData(tokenizer, template);
        OnMessage($"{train.Count} training examples ({train.Sum(e => (long)e.TrainedCount)} trained tokens), {eval.Count} held out; " +
                  $"model {model.Config.Architecture} {model.named_parameters().Sum(p => p.parameter.numel()) / 1e6:F2}M parameters, {dtype}" +
                  (recipe.Device == ComputeDevice.Default ? "" : $", on {recipe.Device}"));
        CpuBf16.WarnIfEmulated(dtype, OnMessage, model.Device.type);

        var exportType = recipe.Model.SaveDType is { } s ? DTypes.Parse(s, "output.save_dtype") ?? dtype : dtype;
        ITrainingTarget target = recipe.Lora is { } lora
            ? new Lora.LoraTarget(Lora.LoraAdapter.Apply(model, lora, recipe.Training.Seed), tokenizerDir, exportType, run.AdapterDir, recipe.Model.Path)
            : new FullModelTarget(model, tokenizerDir, exportType);
        var examples = ExamplesText(train);
        var trainer = new Trainer(target, CreateObjective(), recipe.Training, outDir)
        {
            RunSignature = Signature(examples),
            Settings = Settings(examples),
            OnStep = OnStep,
            OnMessage = OnMessage,
            OnReady = () =>
            {
                // Only now: a refused resume must leave the run's recipe as it was.
                Directory.CreateDirectory(outDir);
                RunRecipe.Write(run, recipe);
                TrainingDataSummary.Of(train, eval).Write(run);
                OnStarted?.Invoke(run.RecipePath);
            },
        };
        return trainer.Train(train, eval, resumeFrom, cancel);
    }

    /// <summary>Staging folders and files of a run killed while writing (e.g. during the final export).</summary>
    private void RemoveStagingLeftovers(RunFolder run)
    {
        var removed = run.StagingFolders
            .SelectMany(dir => StagingLeftovers.Remove(dir).Select(name => Path.Combine(dir, name))).ToList();
        if (removed.Count > 0) OnMessage($"removed {removed.Count} staging leftover(s) of an interrupted run: {string.Join(", ", removed)}");
    }

    private CausalLM LoadModel(ModelTokenizer tokenizer, ScalarType dtype)
    {
        if (!recipe.Pretrain) return ModelFolder.Load(recipe.Model.Path!, dtype);
        var json = recipe.Model.ConfigPath != null
            ? JsonNode.Parse(File.ReadAllText(recipe.Model.ConfigPath))!.AsObject()
            : DefaultPretrainConfig(tokenizer);
        foreach (var (key, value) in recipe.Model.ConfigValues) json[key] = JsonNode.Parse(value);
        var config = ModelConfig.FromJson(json, recipe.Model.ConfigPath ?? "model_config");
        var model = new CausalLM(config, dtype);
        model.InitializeWeights(recipe.Training.Seed);
        return model;
    }

    private static JsonObject DefaultPretrainConfig(ModelTokenizer tokenizer) => new()
    {
        ["architectures"] = new JsonArray("LlamaForCausalLM"), ["model_type"] = "llama", ["hidden_act"] = "silu",
        ["vocab_size"] = tokenizer.VocabSize, ["hidden_size"] = 256, ["intermediate_size"] = 688, ["num_hidden_layers"] = 4,
        ["num_attention_heads"] = 4, ["num_key_value_heads"] = 4, ["max_position_embeddings"] = 2048, ["rms_norm_eps"] = 1e-5,
        ["rope_theta"] = 10000.0, ["tie_word_embeddings"] = false, ["torch_dtype"] = "float32",
        ["bos_token_id"] = tokenizer.BosId, ["eos_token_id"] = tokenizer.EosId,
    };

    private (List<TokenizedExample> Train, List<TokenizedExample> Eval) LoadData(ModelTokenizer tokenizer, ChatTemplate template)
    {
        var d = recipe.Data;
        var read = new DatasetOptions { Layout = d.Layout, Columns = ColumnMapping.Parse(d.Columns), SkipInvalid = d.SkipInvalid, Limit = d.Limit };
        List<TokenizedExample> Load(string path)
        {
            if (recipe.Pretrain) return PretrainCorpus.Build(path, read, tokenizer, template, d.Tokenization.MaxLength);
            var set = TokenizedDataset.LoadOrBuild(path, read, new ExampleTokenizer(tokenizer, template, d.Tokenization), d.CacheDir);
            if (set.Cache.Note is { } note) OnMessage(note);
            OnMessage($"{path}: {set.Report}" + (set.Cache.Hit ? $" (from cache {set.Cache.Path})" : ""));
            if (set.Examples.Count == 0) throw new SiftException($"{path}: no examples are left to train on ({set.Report})");
            return set.Examples.ToList();
        }
        List<TokenizedExample> train;
        if (recipe.Objective.SftMix is { } mix)
        {
            if (d.Train.Length > 0) throw new SiftException("with objective sftmix the training data are objective.confident and objective.unconfident; remove data.train");
            var confident = Load(mix.Confident);
            _confidentIds = confident.Select(e => e.Id).ToHashSet();
            train = [.. confident, .. Load(mix.Unconfident)];
            var overlap = train.Count - train.Select(e => e.Id).Distinct().Count();
            if (overlap > 0) throw new SiftException($"{mix.Confident} and {mix.Unconfident} share {overlap} example ids; the halves must be disjoint");
        }
        else train = Load(d.Train);
        if (d.Eval != null) return (train, Load(d.Eval));
        if (d.EvalFraction <= 0) return (train, []);
        var held = train.Where(e => HeldOutSplit.IsHeldOut(e.Id, d.EvalFraction)).ToList();
        return (train.Where(e => !HeldOutSplit.IsHeldOut(e.Id, d.EvalFraction)).ToList(), held);
    }

    private ITrainingObjective CreateObjective() => recipe.Objective.Kind switch
    {
        ObjectiveKind.Ntp or ObjectiveKind.Neftune => new NextTokenObjective(recipe.Objective.Neftune, recipe.Objective.GroupByLength),
        _ => new SftMixObjective(_confidentIds!, recipe.Objective.SftMix!.Options),
    };

    /// <summary>
    /// What must be identical for a checkpoint to be resumed: the recipe without its output settings, and
    /// the exact token data. logging_steps stays in when SFTMix runs gradient diagnostics: they run on
    /// logged steps, and a diagnostic step's update differs from a plain one in float rounding. (The
    /// hash of checkpoints from before <see cref="Settings"/> were recorded; those name each key.)
    /// </summary>
    private string Signature(string examples)
    {
        bool loggingShapesUpdates = LoggingShapesUpdates;
        var lines = recipe.ToYaml().Split('\n').Where(l => !l.TrimStart().StartsWith("output_dir:") && !l.TrimStart().StartsWith("save_") &&
                                                           (loggingShapesUpdates || !l.TrimStart().StartsWith("logging_steps:")) &&
                                                           !l.TrimStart().StartsWith("eval_steps:"));
        var sb = new StringBuilder(string.Join('\n', lines));
        sb.Append(examples);
        return ContentHash.OfString(sb.ToString());
    }

    /// <summary>The same settings by key, with the token data as "data.examples" (a hash); see <see cref="ResumeSettings"/>.</summary>
    private Dictionary<string, string> Settings(string examples)
    {
        var settings = ResumeSettings.FromYaml(recipe.ToYaml());
        string[] notShapingTheRun = ["output.output_dir", "output.save_steps", "output.save_total_limit", "output.save_dtype", "eval.eval_steps"];
        foreach (var key in notShapingTheRun) settings.Remove(key);
        if (!LoggingShapesUpdates) settings.Remove("output.logging_steps");
        settings["data.examples"] = ContentHash.OfString(examples);
        return settings;
    }

    private bool LoggingShapesUpdates => recipe.Objective.SftMix is { Options.DiagnosticSteps: > 0 };

    private static string ExamplesText(IReadOnlyList<TokenizedExample> train)
    {
        var sb = new StringBuilder();
        foreach (var e in train) sb.Append(e.Id).Append(':').AppendJoin(',', e.Tokens).Append(':').AppendJoin("", e.Trained.Select(t => t ? '1' : '0')).Append('\n');
        return sb.ToString();
    }
}
