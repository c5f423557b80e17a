using System.Text.Json;

namespace Sift.Data.Layouts;

/// <summary>
/// Self-Instruct seed tasks: {id, instruction, instances: [{input, output}], ...}. Each instance is
/// its own Alpaca-style example with id "{id}#{k}" (k counts instances from 0), or a content hash
/// when the task has no id. One bad instance rejects the whole task (its line).
/// </summary>
internal static class SeedTasksLayout
{
    public static void Parse(JsonElement record, LayoutFields f, List<ParsedExample> into)
    {
        var id = RecordFields.OptionalId(record, f.Id);
        var system = RecordFields.OptionalString(record, f.System, f.System);
        var instruction = RecordFields.RequiredString(record, f.Prompt, f.Prompt);
        var instances = RecordFields.RequiredArray(record, f.Instances, f.Instances);
        if (instances.GetArrayLength() == 0)
            throw new InvalidRecordException(f.Instances, $"field '{f.Instances}' is empty; a seed task needs at least one instance");
        int k = 0;
        foreach (var instance in instances.EnumerateArray())
        {
            var label = $"{f.Instances}[{k}]";
            RecordFields.RequireObject(instance, label);
            var input = RecordFields.OptionalString(instance, f.Query, $"{label}.{f.Query}");
            var output = RecordFields.RequiredString(instance, f.Response, $"{label}.{f.Response}");
            var messages = SingleTurnLayout.Build(system, instruction, input, output, f, $"{label}.{f.Response}");
            into.Add(new ParsedExample(id == null ? null : $"{id}#{k}", messages));
            k++;
        }
    }
}
