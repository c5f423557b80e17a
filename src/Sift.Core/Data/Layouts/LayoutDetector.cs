namespace Sift.Data.Layouts;

/// <summary>
/// Picks the layout from the shape of the first record (or a Parquet schema), trying in order:
/// messages (a list whose items have "role"), ShareGPT (a list whose items have "from"),
/// seed tasks (instruction + instances), prompt/completion, Alpaca (instruction + output).
/// The column mapping renames fields before the test, so <c>prompt=question,response=answer</c>
/// makes a question/answer file a prompt/completion one.
/// </summary>
internal static class LayoutDetector
{
    private static readonly DataLayout[] Order =
        [DataLayout.Messages, DataLayout.ShareGpt, DataLayout.SeedTasks, DataLayout.PromptCompletion, DataLayout.Alpaca];

    /// <param name="keys">the record's top-level field names</param>
    /// <param name="itemKeysOf">field names of the first item of a list field, or null when unknown or empty</param>
    public static LayoutFields? Detect(IReadOnlySet<string> keys, Func<string, IReadOnlySet<string>?> itemKeysOf, ColumnMapping map)
    {
        foreach (var layout in Order)
        {
            var fields = LayoutFields.For(layout, map);
            if (!fields.Required.All(keys.Contains)) continue;
            if (layout is DataLayout.Messages or DataLayout.ShareGpt)
            {
                var itemKeys = itemKeysOf(fields.Messages);
                if (itemKeys != null && !itemKeys.Contains(fields.Role)) continue;
            }
            return fields;
        }
        return null;
    }

    public static SiftException Failure(string where, IEnumerable<string> keys) => new(
        $"{where}: cannot tell the layout from the fields [{string.Join(", ", keys)}]; expected messages " +
        "(messages: [{role, content}]), sharegpt (conversations: [{from, value}]), alpaca (instruction, input, output), " +
        "prompt-completion (prompt, completion) or seed-tasks (instruction, instances). Name it with --format and map " +
        "differently named fields with --columns, e.g. --columns prompt=question,response=answer.");
}
