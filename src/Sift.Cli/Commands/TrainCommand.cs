using System.CommandLine;
using Sift.Config;
using Sift.Distributed;
using Sift.Training;
using Sift.Training.Objectives;
using Sift.Training.Recipes;
using Sift.Training.Recipes.Schema;

namespace Sift.Cli.Commands;

/// <summary>`sift train` (fine-tune a model) and `sift pretrain` (train a model from a config on plain text).</summary>
public static class TrainCommand
{
    public static Command Create(bool pretrain)
    {
        var recipe = new Argument<string?>("RECIPE") { Description = "YAML recipe (sections model, data, objective, optimizer, schedule, precision, lora, eval, output)", Arity = ArgumentArity.ZeroOrOne }.Input();
        var model = new Option<string?>("--model") { Description = pretrain ? "Tokenizer folder (sets tokenizer)" : "Model folder in Hugging Face layout (sets model)" }.Input();
        var data = new Option<string?>("--data") { Description = "Training data file (sets data.train)" }.Input();
        var limit = new Option<string?>("--limit") { Description = "Read only the first N valid examples of each data file, in file order (sets data.limit; quick trials)", HelpName = "N" };
        var output = new Option<string?>("--output-dir") { Description = "Output folder (sets output.output_dir)" };
        var set = new Option<string[]>("--set") { Description = "Override a recipe setting, e.g. --set optimizer.learning_rate=1e-4 (repeatable)" };
        var resume = new Option<string?>("--resume") { Description = "Continue from a checkpoint folder, or the latest in output_dir when no folder is given", Arity = ArgumentArity.ZeroOrOne };
        var overwrite = new Option<bool>("--overwrite") { Description = "Start over even if output_dir holds checkpoints of an earlier run" };
        var device = DeviceOption.Create(sets: "device");
        var command = pretrain
            ? new Command("pretrain", "Pre-train a Llama model from a config (model_config) on plain text: packed blocks, every token trained.\n\n" + RecipeHelp.KeyList())
            : new Command("train", $"Fine-tune a model on instruction data ({string.Join(", ", ObjectiveRegistry.All.Select(o => o.Name))} objective).\n\n" + RecipeHelp.KeyList());
        foreach (var o in new Option[] { model, data, limit, output, device, set, resume, overwrite }) command.Options.Add(o);
        command.Arguments.Add(recipe);
        // The recipe as `sift train` resolves it: the file, then --model, --data, --output-dir, --limit, --device, then each --set.
        // A pipeline plans a stage before the stages before it have run: a recipe file not there yet then gives the overrides alone.
        ConfigTree Tree(ParseResult parse, bool planning = false)
        {
            var path = parse.GetValue(recipe);
            var tree = path == null || (planning && !File.Exists(path)) ? ConfigTree.Empty() : ConfigTree.Load(path);
            TrainRecipe.ApplyCommandLine(tree, pretrain, parse.GetValue(model), parse.GetValue(data), parse.GetValue(output), parse.GetValue(set) ?? [], parse.GetValue(limit),
                parse.GetValue(device));
            return tree;
        }
        command.SetJob(new CommandJob((parse, context) =>
        {
            var tree = Tree(parse);
            var resolved = TrainRecipe.Bind(tree, pretrain);
            RequireInputs(resolved, tree);
            string? resumeFrom = parse.GetResult(resume) is null ? null : parse.GetValue(resume) ?? "latest";
            return Run(resolved, resumeFrom, parse.GetValue(overwrite), context);
        })
        {
            IndirectInputs = parse => TrainRecipe.InputPathKeys.Select(Tree(parse, planning: true).String).OfType<string>(),
            CheckpointToResume = parse =>
                parse.GetResult(resume) is null && !parse.GetValue(overwrite) && Tree(parse).String("output.output_dir") is { } outputDir
                    ? new CheckpointStore(outputDir, keep: int.MaxValue).Latest() : null,
        });
        return command;
    }

    /// <summary>The data files the recipe names, checked before any work; a missing one names its key and where that was set.</summary>
    private static void RequireInputs(TrainRecipe recipe, ConfigTree tree)
    {
        foreach (var key in recipe.Keys.Where(k => k.Input == InputKind.DataFile))
        {
            if (key.PathIn(recipe) is not { } path) continue;
            var origin = tree.Origin(key.Path);
            InputFiles.Require(path, origin == null ? key.Path : $"{key.Path}, set by {origin}");
        }
    }

    private static int Run(TrainRecipe recipe, string? resume, bool overwrite, JobContext context)
    {
        // Under mpirun every rank trains its share; rank 0 alone reports (docs/DISTRIBUTED.md).
        var world = MpiWorld.Join(Environment.GetEnvironmentVariable);
        // A pipeline hands its stages its own stop token (a stopped run is then its OperationCanceledException);
        // `sift train` alone listens for the signals itself and exits with theirs.
        using var signals = context.Cancel.CanBeCanceled ? null : new StopSignals(ofMpiRank: world != null);
        var stop = signals?.Token ?? context.Cancel;
        int Stopped() => signals?.ExitCode ?? throw new OperationCanceledException(stop);
        if (world is { Rank: > 0 })
        {
            // Trains its share silently; errors still reach the console through CliErrors.
            var share = new TrainRun(recipe) { Parallel = world }.Run(resume, overwrite, JobContext.Silent with { Cancel = stop });
            world.Finish();
            return share.Interrupted ? Stopped() : 0;
        }
        var progress = new TrainingProgress(Console.Error, interactive: !Console.IsErrorRedirected, recipe.Training.LoggingSteps);
        // The recipe is shown only once the run starts (never before an error): its file and the key settings.
        var run = new TrainRun(recipe)
        {
            OnStep = progress.Step, Parallel = world,
            OnStarted = recipeFile => progress.Message($"recipe {recipeFile}: {recipe.Summary()}"),
        };
        var result = run.Run(resume, overwrite, new JobContext(progress.Message, stop));
        world?.Finish();
        progress.Done();
        if (result.Interrupted) return Stopped();
        if (result.AlreadyComplete)
        {
            Console.WriteLine($"the run already finished at step {result.Steps}" +
                              (double.IsFinite(result.FinalLoss) ? $" (final loss {result.FinalLoss:F4})" : "") +
                              $"; nothing to do; model in {result.ModelDir}");
            return 0;
        }
        Console.WriteLine($"trained {result.Steps} steps, final loss {result.FinalLoss:F4}" +
                          (result.Eval is { } e ? $", eval_loss {e.Loss:F4}, eval_perplexity {e.Perplexity:F3}" : "") +
                          $"; model saved to {result.ModelDir}");
        return 0;
    }
}
