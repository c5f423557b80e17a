namespace Sift.Training.Recipes.Schema;

/// <summary>
/// How a recipe value is read from its YAML text and written back into the resolved recipe
/// (OUT/sift_recipe.yaml): the written text is also the value the resume check compares.
/// </summary>
/// <param name="name">What values look like, for `sift train --help`: "number", "true/false", "ntp | neftune | sftmix".</param>
/// <param name="parse">The value of a text; throws a <see cref="SiftException"/> that starts with its second argument ("recipe.yaml:7: optimizer.learning_rate").</param>
/// <param name="format">The value as the resolved recipe writes it.</param>
public sealed class KeyType<T>(string name, Func<string, string, T> parse, Func<T, string> format)
{
    public string Name { get; } = name;

    public T Parse(string text, string where) => parse(text, where);

    public string Format(T value) => format(value);
}
