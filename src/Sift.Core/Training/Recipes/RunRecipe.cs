using Sift.IO;

namespace Sift.Training.Recipes;

/// <summary>OUT/sift_recipe.yaml: the resolved recipe of a run, written as it starts (or resumes) and read back as a <see cref="TrainRecipe"/>.</summary>
public static class RunRecipe
{
    public static void Write(RunFolder run, TrainRecipe recipe) => AtomicFile.WriteAllText(run.RecipePath, recipe.ToYaml());

    /// <summary>The run's recipe, bound as `sift train` binds it (<see cref="TrainRecipe.LoadResolved"/>).</summary>
    public static TrainRecipe Read(RunFolder run) => File.Exists(run.RecipePath) ? TrainRecipe.LoadResolved(run.RecipePath)
        : throw new SiftException($"{run.RecipePath}: not found; {run.Dir} is not the output folder of `sift train` (it writes {RunFiles.Recipe.Name} as the run starts)");
}
