namespace Sift.Training.Objectives;

/// <summary>
/// The objectives a recipe can name (objective.name), by name. Adding one: its <see cref="ObjectiveDefinition"/>
/// (docs/ARCHITECTURE.md, "How to add a training objective") and its line here.
/// </summary>
public static class ObjectiveRegistry
{
    public static readonly IReadOnlyList<ObjectiveDefinition> All =
    [
        NextTokenDefinitions.Ntp,
        NextTokenDefinitions.Neftune,
        SftMixDefinition.Definition,
    ];

    public const string DefaultName = "ntp";

    public static ObjectiveDefinition Get(string name) =>
        All.FirstOrDefault(d => d.Name == name) ?? throw new SiftException($"objective '{name}' is not registered; use one of {string.Join(", ", All.Select(d => d.Name))}");
}
