using System.Text;

namespace Sift.Training.Recipes;

/// <summary>
/// Writes a resolved recipe: each key the recipe writes (<see cref="Schema.RecipeKey.Written"/>), in schema
/// order, top-level keys as "key: value" and the others as "  key: value" under a "section:" line.
/// </summary>
internal static class RecipeYaml
{
    public static string Write(TrainRecipe recipe)
    {
        var sb = new StringBuilder();
        string? section = null;
        foreach (var key in recipe.Keys)
        {
            if (key.Written(recipe) is not { } value) continue;
            var (keySection, name) = key.Split();
            if (keySection.Length > 0 && keySection != section) sb.Append(keySection).AppendLine(":");
            section = keySection;
            sb.Append(keySection.Length > 0 ? "  " : "").Append(name).Append(": ").AppendLine(value);
        }
        return sb.ToString();
    }
}
