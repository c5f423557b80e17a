using Sift.Config;

namespace Sift.Training.Recipes.Schema;

/// <summary>
/// One row of the recipe schema: a dotted key, its one-line doc, how it takes part in resuming, whether
/// it names an input, and (in <see cref="RecipeKey{T}"/>) its type, default, range and where its value
/// lands in the typed <see cref="TrainRecipe"/>. Binding, the resolved recipe, `sift train --help` and
/// the resume settings are all made from these rows (<see cref="TrainRecipeKeys"/>, and each objective's
/// keys in <see cref="Objectives.ObjectiveRegistry"/>).
/// </summary>
public abstract record RecipeKey(string Path, string Doc)
{
    public ResumeRole Resume { get; init; } = ResumeRole.Match;
    public InputKind Input { get; init; } = InputKind.None;

    /// <summary>Whether the key belongs to this recipe (LoRA keys only with lora.r &gt; 0, ...); a key that does not is not read, so setting it is an error.</summary>
    public Func<TrainRecipe, bool> Present { get; init; } = _ => true;

    /// <summary>Reads the key from <paramref name="tree"/> (its default when unset), checks it, and returns the recipe with its value in place.</summary>
    public abstract TrainRecipe Bind(ConfigTree tree, TrainRecipe recipe);

    /// <summary>The value as OUT/sift_recipe.yaml writes it, or null when the recipe does not write the key.</summary>
    public abstract string? Written(TrainRecipe recipe);

    /// <summary>The file or folder the key names in <paramref name="recipe"/>; null when unset or empty.</summary>
    public abstract string? PathIn(TrainRecipe recipe);

    /// <summary>Whether an unset key is an error of its own (rules between keys require others: <see cref="RecipeRules"/>).</summary>
    public abstract bool IsRequired { get; }

    public abstract string TypeName { get; }
    public abstract string? RangeText { get; }

    /// <summary>The default as help shows it: the fine-tuning default, and the pre-training one where it differs.</summary>
    public abstract string DefaultText(TrainRecipe fineTune, TrainRecipe pretrain);

    /// <summary>The section (text before the last dot; "" for top-level keys) and the name within it.</summary>
    public (string Section, string Name) Split()
    {
        int dot = Path.LastIndexOf('.');
        return dot < 0 ? ("", Path) : (Path[..dot], Path[(dot + 1)..]);
    }
}

/// <summary>
/// A <see cref="RecipeKey"/> whose value has type <typeparamref name="T"/>: <paramref name="Default"/> when unset
/// (it may depend on the recipe bound so far: pre-training defaults, lora_alpha = 2·r), read by
/// <paramref name="Get"/> and placed by <paramref name="Set"/>.
/// </summary>
public sealed record RecipeKey<T>(string Path, KeyType<T> Type, Func<TrainRecipe, T> Default, string Doc,
    Func<TrainRecipe, T> Get, Func<TrainRecipe, T, TrainRecipe> Set) : RecipeKey(Path, Doc)
{
    public ValueRange<T>? Range { get; init; }
    public WritePolicy Write { get; init; } = WritePolicy.Always;

    /// <summary>When set, an unset key is an error: "KEY is required: HINT".</summary>
    public string? Required { get; init; }

    /// <summary>How help describes a default that is computed (e.g. "2·r"); otherwise the default is formatted.</summary>
    public string? DefaultDoc { get; init; }

    public override TrainRecipe Bind(ConfigTree tree, TrainRecipe recipe)
    {
        var text = tree.String(Path);
        var origin = tree.Origin(Path);
        var where = origin is ['-', '-', ..] and not ConfigTree.SetOrigin ? origin : $"{origin}: {Path}"; // an option of its own (--limit) names the setting
        var value = text == null ? Default(recipe) : Type.Parse(text, where);
        if (value is null && Required != null) throw new SiftException($"{Path} is required: {Required}");
        if (text != null && Range != null && !Range.Holds(value)) throw new SiftException($"{where}: must be {Range.Text}, got {Type.Format(value)}");
        return Set(recipe, value);
    }

    public override string? Written(TrainRecipe recipe)
    {
        if (!Present(recipe)) return null;
        var value = Get(recipe);
        return Write switch
        {
            WritePolicy.WhenSet when value is null => null,
            WritePolicy.WhenNotDefault when EqualityComparer<T>.Default.Equals(value, Default(recipe)) => null,
            _ => Type.Format(value),
        };
    }

    public override string? PathIn(TrainRecipe recipe) => Present(recipe) && Get(recipe) is string { Length: > 0 } path ? path : null;

    public override bool IsRequired => Required != null;
    public override string TypeName => Type.Name;
    public override string? RangeText => Range?.Text;

    public override string DefaultText(TrainRecipe fineTune, TrainRecipe pretrain)
    {
        if (DefaultDoc != null) return DefaultDoc;
        string Text(T value) => value is null ? "unset" : Type.Format(value).Trim('"');
        string a = Text(Default(fineTune)), b = Text(Default(pretrain));
        return a == b ? a : $"{a} (pretrain {b})";
    }
}
