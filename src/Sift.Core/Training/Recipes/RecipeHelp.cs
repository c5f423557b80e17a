using Sift.Training.Objectives;
using Sift.Training.Recipes.Schema;

namespace Sift.Training.Recipes;

/// <summary>The list of recipe keys `sift train --help` shows, made from the schema: key, type and range, default, doc.</summary>
public static class RecipeHelp
{
    public static string KeyList()
    {
        var rows = new List<(string Key, string Text)>();
        foreach (var key in TrainRecipeKeys.All)
        {
            rows.Add((key.Path, Describe(key, key.DefaultText(TrainRecipe.Unbound(false), TrainRecipe.Unbound(true)))));
            if (!ReferenceEquals(key, TrainRecipeKeys.ObjectiveNameKey)) continue;
            var owned = ObjectiveRegistry.All.SelectMany(d => d.Keys.Select(k => (Objective: d, Key: k))).GroupBy(x => x.Key.Path);
            foreach (var group in owned)
            {
                var defaults = group.Select(x => (x.Objective.Name, Text: x.Key.DefaultText(TrainRecipe.Unbound(false, x.Objective), TrainRecipe.Unbound(true, x.Objective)))).ToList();
                var shown = defaults.Select(d => d.Text).Distinct().Count() == 1 ? defaults[0].Text : string.Join(", ", defaults.Select(d => $"{d.Name}: {d.Text}"));
                rows.Add((group.Key, $"[{string.Join(", ", defaults.Select(d => d.Name))}] " + Describe(group.First().Key, shown)));
            }
        }
        int width = rows.Max(r => r.Key.Length);
        return "Recipe keys (YAML sections, or --set KEY=VALUE; [names]: only with those objectives):\n" + string.Join("\n", rows.Select(r => $"  {r.Key.PadRight(width)}  {r.Text}"));
    }

    private static string Describe(RecipeKey key, string defaultText)
    {
        var type = key.Input != InputKind.None ? "path" : key.TypeName;
        var range = key.RangeText is { } r ? $", {r}" : "";
        return $"{type}{range}; {(key.IsRequired ? "required" : "default " + defaultText)}. {key.Doc}";
    }
}
