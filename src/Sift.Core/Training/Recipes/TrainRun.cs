using System.Text;
using System.Text.Json.Nodes;
using Sift.Data;
using Sift.Data.Layouts;
using Sift.Data.Operations;
using Sift.Data.Tokenization;
using Sift.Distributed;
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
    public Action<StepReport>? OnStep { get; init; }

    /// <summary>Called with the path of OUT/sift_recipe.yaml once the run has passed every check and starts (or resumes).</summary>
    public Action<string>? OnStarted { get; init; }

    /// <summary>The processes of a data-parallel run (docs/DISTRIBUTED.md); rank 0 alone prepares and writes the output folder.</summary>
    public IProcessGroup? Parallel { get; init; }

    /// <param name="resume">A checkpoint folder, "latest", or null for a fresh run.</param>
    /// <param name="context">Where the run's messages go, and the token that stops it at the next step (with a checkpoint).</param>
    public TrainingResult Run(string? resume, bool overwrite, JobContext context)
    {
        if (Parallel != null && recipe.Device != ComputeDevice.Default)
            throw new SiftException($"device {recipe.Device}: training over several MPI processes runs on the CPU (gradients are summed in host memory); set device: cpu, or train in one process");
        var outDir = recipe.OutputDir;
        var run = new RunFolder(outDir);
        bool leader = Parallel is not { Rank: > 0 };
        using var folderLock = leader ? FolderLock.Acquire(outDir) : null;
        var resumeFrom = leader ? PrepareOutput(run, resume, overwrite, context.Log) : null;
        if (Parallel != null) resumeFrom = Encoding.UTF8.GetString(Parallel.Broadcast(Encoding.UTF8.GetBytes(resumeFrom ?? ""))) is { Length: > 0 } chosen ? chosen : null;
        return Train(run, resumeFrom, context);
    }

    /// <summary>Clears what an interrupted or overwritten run left and finds the checkpoint to resume from.</summary>
    private string? PrepareOutput(RunFolder run, string? resume, bool overwrite, Action<string> log)
    {
        var outDir = recipe.OutputDir;
        RemoveStagingLeftovers(run, log);
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
        return resumeFrom;
    }

    private TrainingResult Train(RunFolder run, string? resumeFrom, JobContext context)
    {
        var log = context.Log;
        var outDir = recipe.OutputDir;
        var dtype = recipe.Training.ComputeDType;
        var tokenizerDir = recipe.Model.Tokenizer ?? recipe.Model.Path!;
        var tokenizer = ModelTokenizer.Load(tokenizerDir);
        using var model = LoadModel(tokenizer, dtype);
        tokenizer.CheckFitsModel(model.Config.VocabSize);
        model.MoveTo(ComputeDevice.Resolve(recipe.Device, "device")); // before LoRA, whose matrices are made beside the weights
        var template = ChatTemplate.ForModel(tokenizerDir, RunTokenization.TemplateOf(recipe));
        var (files, eval) = LoadData(tokenizer, template, log);
        var train = files.SelectMany(f => f).ToList();
        log($"{train.Count} training examples ({train.Sum(e => (long)e.TrainedCount)} trained tokens), {eval.Count} held out; " +
            $"model {model.Config.Architecture} {model.named_parameters().Sum(p => p.parameter.numel()) / 1e6:F2}M parameters, {dtype}" +
            (recipe.Device == ComputeDevice.Default ? "" : $", on {recipe.Device}"));
        CpuBf16.WarnIfEmulated(dtype, log, model.Device.type);

        var exportType = recipe.Model.SaveDType is { } s ? DTypes.Parse(s, "output.save_dtype") ?? dtype : dtype;
        ITrainingTarget target = recipe.Lora is { } lora
            ? new Lora.LoraTarget(Lora.LoraAdapter.Apply(model, lora, recipe.Training.Seed), tokenizerDir, exportType, run.AdapterDir, recipe.Model.Path)
            : new FullModelTarget(model, tokenizerDir, exportType);
        var objective = recipe.Objective.Definition.Create(recipe, new ObjectiveInputs(files, recipe.Objective.GroupByLength));
        var trainer = new Trainer(target, objective, recipe.Training, outDir)
        {
            Settings = ResumeSignature.Of(recipe, train),
            OnStep = OnStep,
            OnMessage = log,
            Parallel = Parallel,
            OnReady = () =>
            {
                // Only now: a refused resume must leave the run's recipe as it was.
                Directory.CreateDirectory(outDir);
                RunRecipe.Write(run, recipe);
                TrainingDataSummary.Of(train, eval).Write(run);
                OnStarted?.Invoke(run.RecipePath);
            },
        };
        return trainer.Train(train, eval, resumeFrom, context.Cancel);
    }

    /// <summary>Staging folders and files of a run killed while writing (e.g. during the final export).</summary>
    private static void RemoveStagingLeftovers(RunFolder run, Action<string> log)
    {
        var removed = run.StagingFolders
            .SelectMany(dir => StagingLeftovers.Remove(dir).Select(name => Path.Combine(dir, name))).ToList();
        if (removed.Count > 0) log($"removed {removed.Count} staging leftover(s) of an interrupted run: {string.Join(", ", removed)}");
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

    /// <summary>The examples of each training file (<see cref="TrainRecipe.TrainingFiles"/>), less the held-out share, and the held-out examples.</summary>
    private (List<List<TokenizedExample>> Files, List<TokenizedExample> Eval) LoadData(ModelTokenizer tokenizer, ChatTemplate template, Action<string> log)
    {
        var d = recipe.Data;
        var read = new DatasetOptions { Layout = d.Layout, Columns = ColumnMapping.Parse(d.Columns), SkipInvalid = d.SkipInvalid, Limit = d.Limit };
        List<TokenizedExample> Load(string path)
        {
            if (recipe.Pretrain) return PretrainCorpus.Build(path, read, tokenizer, template, d.Tokenization.MaxLength);
            var set = TokenizedDataset.LoadOrBuild(path, read, new ExampleTokenizer(tokenizer, template, d.Tokenization), d.CacheDir);
            if (set.Cache.Note is { } note) log(note);
            log($"{path}: {set.Report}" + (set.Cache.Hit ? $" (from cache {set.Cache.Path})" : ""));
            if (set.Examples.Count == 0) throw new SiftException($"{path}: no examples are left to train on ({set.Report})");
            return set.Examples.ToList();
        }
        var paths = recipe.TrainingFiles;
        var files = paths.Select(Load).ToList();
        var overlap = files.Sum(f => f.Count) - files.SelectMany(f => f).Select(e => e.Id).Distinct().Count();
        if (overlap > 0) throw new SiftException($"{string.Join(" and ", paths)} share {overlap} example ids; the training files must be disjoint");
        if (d.Eval != null) return (files, Load(d.Eval));
        if (d.EvalFraction <= 0) return (files, []);
        var held = files.SelectMany(f => f).Where(e => HeldOutSplit.IsHeldOut(e.Id, d.EvalFraction)).ToList();
        return (files.Select(f => f.Where(e => !HeldOutSplit.IsHeldOut(e.Id, d.EvalFraction)).ToList()).ToList(), held);
    }
}
