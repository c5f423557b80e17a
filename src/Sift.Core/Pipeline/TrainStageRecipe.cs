using Sift.Config;
using Sift.Training;
using Sift.Training.Recipes;

namespace Sift.Pipeline;

/// <summary>
/// What a pipeline stage running `sift train` or `sift pretrain` reads and where it writes: its
/// recipe YAML loaded with the stage's --model, --data, --output-dir, --limit and --set overrides applied,
/// in the order `sift train` applies them.
/// </summary>
public static class TrainStageRecipe
{
    public static bool IsTrain(IReadOnlyList<string> args) => args.Count > 0 && args[0] is "train" or "pretrain";

    /// <summary>The recipe as the command would resolve it; null for other commands. An unresolved ${...} recipe path gives only the overrides.</summary>
    public static ConfigTree? Load(IReadOnlyList<string> args)
    {
        if (!IsTrain(args)) return null;
        bool pretrain = args[0] == "pretrain";
        string? recipe = null, model = null, data = null, output = null, limit = null;
        var sets = new List<string>();
        for (int i = 1; i < args.Count; i++)
        {
            var (option, inline) = args[i].StartsWith("--") && args[i].IndexOfAny(['=', ':']) is > 0 and var at
                ? (args[i][..at], args[i][(at + 1)..]) : (args[i], null);
            string? Value() => inline ?? (i + 1 < args.Count ? args[++i] : null);
            switch (option)
            {
                case "--model": model = Value() ?? model; break;
                case "--data": data = Value() ?? data; break;
                case "--output-dir": output = Value() ?? output; break;
                case "--limit": limit = Value() ?? limit; break;
                case "--set": if (Value() is { } s) sets.Add(s); break;
                case "--resume": if (inline == null && i + 1 < args.Count && !args[i + 1].StartsWith('-')) i++; break; // its optional folder
                default: if (!option.StartsWith('-')) recipe ??= option; break;
            }
        }
        var tree = recipe != null && !recipe.Contains("${") ? ConfigTree.Load(recipe) : ConfigTree.Empty();
        TrainRecipe.ApplyCommandLine(tree, pretrain, model, data, output, sets, limit);
        return tree;
    }

    /// <summary>The files and folders the recipe names as inputs (model, data, SFTMix halves, ...), as written.</summary>
    public static IEnumerable<string> InputPaths(ConfigTree tree) => TrainRecipe.InputPathKeys.Select(k => tree.String(k)).OfType<string>();

    /// <summary>
    /// The latest checkpoint an interrupted run of this command left in its output folder, or null
    /// when it left none or the command already says --resume or --overwrite.
    /// </summary>
    public static string? CheckpointToResume(IReadOnlyList<string> args)
    {
        if (args.Any(a => a is "--resume" or "--overwrite" || a.StartsWith("--resume=") || a.StartsWith("--resume:"))) return null;
        var output = Load(args)?.String("output.output_dir");
        return output == null ? null : new CheckpointStore(output, keep: int.MaxValue).Latest();
    }
}
