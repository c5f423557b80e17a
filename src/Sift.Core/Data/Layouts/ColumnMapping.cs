namespace Sift.Data.Layouts;

/// <summary>
/// Renames the fields a layout reads, like LLaMA-Factory's dataset_info "columns": keys are the
/// canonical field names below, values the names used in the file. Example:
/// <c>prompt=question,response=answer</c> reads GSM8K's question/answer as a prompt/completion pair.
/// <list type="bullet">
/// <item><c>id</c>: the example id (default "id").</item>
/// <item><c>system</c>: a system prompt (default "system").</item>
/// <item><c>prompt</c> (alias instruction): the user turn (Alpaca "instruction", prompt/completion "prompt").</item>
/// <item><c>query</c> (alias input): Alpaca's optional "input".</item>
/// <item><c>response</c> (aliases output, completion): the assistant turn.</item>
/// <item><c>messages</c> (alias conversations): the list of turns (messages / ShareGPT).</item>
/// <item><c>role</c> (alias from) and <c>content</c> (alias value): the fields of one turn.</item>
/// <item><c>instances</c>: the seed-task list of {input, output}.</item>
/// </list>
/// </summary>
public sealed class ColumnMapping
{
    public const string Id = "id", System = "system", Prompt = "prompt", Query = "query", Response = "response",
        Messages = "messages", Role = "role", Content = "content", Instances = "instances";

    private static readonly Dictionary<string, string> CanonicalByKey = new(StringComparer.OrdinalIgnoreCase)
    {
        [Id] = Id, [System] = System,
        [Prompt] = Prompt, ["instruction"] = Prompt,
        [Query] = Query, ["input"] = Query,
        [Response] = Response, ["output"] = Response, ["completion"] = Response,
        [Messages] = Messages, ["conversations"] = Messages,
        [Role] = Role, ["from"] = Role,
        [Content] = Content, ["value"] = Content,
        [Instances] = Instances,
    };

    private readonly Dictionary<string, string> _names;

    public static ColumnMapping None { get; } = new(new Dictionary<string, string>());

    private ColumnMapping(Dictionary<string, string> names) => _names = names;

    /// <summary>The file's name for a canonical field, if the mapping renames it.</summary>
    public string? Get(string canonical) => _names.GetValueOrDefault(canonical);

    public IReadOnlyDictionary<string, string> Entries => _names;

    public bool IsEmpty => _names.Count == 0;

    /// <summary>Parses <c>key=name,key=name</c> (the <c>--columns</c> flag).</summary>
    public static ColumnMapping Parse(string? text, string settingName = "--columns")
    {
        var pairs = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(text)) return None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0 || eq == part.Length - 1)
                throw new SiftException($"{settingName}: '{part}' is not key=name; write e.g. prompt=question,response=answer.");
            pairs[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        return From(pairs, settingName);
    }

    /// <summary>A mapping from a recipe's dictionary (same keys as <see cref="Parse"/>).</summary>
    public static ColumnMapping From(IReadOnlyDictionary<string, string> pairs, string settingName = "columns")
    {
        var names = new Dictionary<string, string>();
        foreach (var (key, name) in pairs)
        {
            if (!CanonicalByKey.TryGetValue(key, out var canonical))
                throw new SiftException(
                    $"{settingName}: unknown field '{key}'; use id, system, prompt (instruction), query (input), " +
                    "response (output, completion), messages (conversations), role (from), content (value) or instances.");
            if (string.IsNullOrEmpty(name))
                throw new SiftException($"{settingName}: field '{key}' is mapped to an empty name.");
            if (names.ContainsKey(canonical))
                throw new SiftException($"{settingName}: field '{canonical}' is mapped twice (via '{key}').");
            names[canonical] = name;
        }
        return new ColumnMapping(names);
    }

    public override string ToString() => string.Join(",", _names.Select(kv => $"{kv.Key}={kv.Value}"));
}
