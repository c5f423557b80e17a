using Sift.Data;
using Sift.Training.Recipes;
using Sift.Training.Recipes.Schema;

namespace Sift.Training.Objectives;

/// <summary>What an objective is given when a run creates it.</summary>
/// <param name="Files">The examples of each of its training files, in the order <see cref="ObjectiveDefinition.TrainingFiles"/> names them (one list for data.train).</param>
/// <param name="GroupByLength">data.group_by_length.</param>
public sealed record ObjectiveInputs(IReadOnlyList<IReadOnlyList<TokenizedExample>> Files, bool GroupByLength);

/// <summary>
/// An objective a recipe can name with objective.name: its recipe keys (objective.*, bound into its
/// settings, a value of any type held in <see cref="ObjectiveSection.Settings"/>), the data it trains on,
/// and how a run creates it. Registered by name in <see cref="ObjectiveRegistry"/>.
/// </summary>
public abstract class ObjectiveDefinition(string name, string doc)
{
    public string Name { get; } = name;

    /// <summary>One line for `sift train --help`.</summary>
    public string Doc { get; } = doc;

    /// <summary>Its objective.* keys, in the order the resolved recipe writes them after objective.name.</summary>
    public abstract IReadOnlyList<RecipeKey> Keys { get; }

    /// <summary>Its settings before any key is bound.</summary>
    public abstract object? InitialSettings { get; }

    /// <summary>The data files it trains on instead of data.train, by key (SFTMix: its two halves); null when it trains on data.train.</summary>
    public abstract IReadOnlyList<(string Key, string Path)>? TrainingFiles(TrainRecipe recipe);

    /// <summary>Whether its updates depend on which steps are logged, so output.logging_steps must match on resume (<see cref="ResumeRole.MatchWhenLoggingShapesUpdates"/>).</summary>
    public abstract bool LoggingShapesUpdates(TrainRecipe recipe);

    public abstract ITrainingObjective Create(TrainRecipe recipe, ObjectiveInputs inputs);
}

/// <summary>An <see cref="ObjectiveDefinition"/> whose settings have type <typeparamref name="TSettings"/>.</summary>
public sealed class ObjectiveDefinition<TSettings>(string name, string doc, TSettings initial, Func<TSettings, ObjectiveInputs, ITrainingObjective> create)
    : ObjectiveDefinition(name, doc)
{
    public IReadOnlyList<RecipeKey> OwnKeys { get; init; } = [];
    public Func<TSettings, IReadOnlyList<(string Key, string Path)>?> Files { get; init; } = _ => null;
    public Func<TSettings, bool> LoggingShapes { get; init; } = _ => false;

    public override IReadOnlyList<RecipeKey> Keys => OwnKeys;
    public override object? InitialSettings => initial;
    public override IReadOnlyList<(string Key, string Path)>? TrainingFiles(TrainRecipe recipe) => Files(SettingsOf(recipe));
    public override bool LoggingShapesUpdates(TrainRecipe recipe) => LoggingShapes(SettingsOf(recipe));
    public override ITrainingObjective Create(TrainRecipe recipe, ObjectiveInputs inputs) => create(SettingsOf(recipe), inputs);

    /// <summary>
    /// A key objective.<paramref name="name"/> of objectives with these settings: read from and placed into
    /// them by <paramref name="get"/> and <paramref name="set"/>, <paramref name="fallback"/> when unset.
    /// </summary>
    public static RecipeKey<T> Key<T>(string name, KeyType<T> type, Func<TSettings, T> fallback, string doc,
        Func<TSettings, T> get, Func<TSettings, T, TSettings> set) =>
        new("objective." + name, type, r => fallback(SettingsOf(r)), doc, r => get(SettingsOf(r)),
            (r, v) => r with { Objective = r.Objective with { Settings = set(SettingsOf(r), v) } });

    private static TSettings SettingsOf(TrainRecipe recipe) => (TSettings)recipe.Objective.Settings!;
}
