using Sift.Config;
using Sift.IO;

namespace Sift.Training.Recipes;

/// <summary>OUT/sift_recipe.yaml: the resolved recipe of a run, written as it starts (or resumes) and read back as a <see cref="TrainRecipe"/>.</summary>
public static class RunRecipe
{
    public static void Write(RunFolder run, TrainRecipe recipe) => AtomicFile.WriteAllText(run.RecipePath, recipe.ToYaml());

    /// <summary>
    /// The run's recipe, bound as `sift train` binds it. A fine-tuning recipe names its model ("model"); a pre-training
    /// one (`sift pretrain --model` sets "tokenizer") reads as one only when it does not name its tokenizer folder "model".
    /// </summary>
    public static TrainRecipe Read(RunFolder run)
    {
        if (!File.Exists(run.RecipePath))
            throw new SiftException($"{run.RecipePath}: not found; {run.Dir} is not the output folder of `sift train` (it writes {RunFiles.Recipe.Name} as the run starts)");
        var tree = ConfigTree.Load(run.RecipePath);
        return TrainRecipe.Bind(tree, pretrain: !tree.Has("model"));
    }
}
