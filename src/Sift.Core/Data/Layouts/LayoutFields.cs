namespace Sift.Data.Layouts;

/// <summary>The field names one layout reads in one file: its defaults with the column mapping applied.</summary>
internal sealed class LayoutFields
{
    public required DataLayout Layout { get; init; }
    public required string Id { get; init; }
    public required string System { get; init; }
    public string Prompt { get; init; } = "";
    public string Query { get; init; } = "";
    public string Response { get; init; } = "";
    public string Messages { get; init; } = "";
    public string Role { get; init; } = "";
    public string Content { get; init; } = "";
    public string Instances { get; init; } = "";

    /// <summary>Top-level fields a record must have (Parquet: columns the file must have).</summary>
    public IReadOnlyList<string> Required => Layout switch
    {
        DataLayout.Alpaca or DataLayout.PromptCompletion => [Prompt, Response],
        DataLayout.ShareGpt or DataLayout.Messages => [Messages],
        DataLayout.SeedTasks => [Prompt, Instances],
        _ => [],
    };

    public static LayoutFields For(DataLayout layout, ColumnMapping map)
    {
        string F(string canonical, string fallback) => map.Get(canonical) ?? fallback;
        var id = F(ColumnMapping.Id, "id");
        var system = F(ColumnMapping.System, "system");
        return layout switch
        {
            DataLayout.Alpaca => new LayoutFields
            {
                Layout = layout, Id = id, System = system,
                Prompt = F(ColumnMapping.Prompt, "instruction"), Query = F(ColumnMapping.Query, "input"),
                Response = F(ColumnMapping.Response, "output"),
            },
            DataLayout.PromptCompletion => new LayoutFields
            {
                Layout = layout, Id = id, System = system,
                Prompt = F(ColumnMapping.Prompt, "prompt"), Response = F(ColumnMapping.Response, "completion"),
            },
            DataLayout.ShareGpt => new LayoutFields
            {
                Layout = layout, Id = id, System = system,
                Messages = F(ColumnMapping.Messages, "conversations"), Role = F(ColumnMapping.Role, "from"),
                Content = F(ColumnMapping.Content, "value"),
            },
            DataLayout.Messages => new LayoutFields
            {
                Layout = layout, Id = id, System = system,
                Messages = F(ColumnMapping.Messages, "messages"), Role = F(ColumnMapping.Role, "role"),
                Content = F(ColumnMapping.Content, "content"),
            },
            DataLayout.SeedTasks => new LayoutFields
            {
                Layout = layout, Id = id, System = system,
                Prompt = F(ColumnMapping.Prompt, "instruction"), Instances = F(ColumnMapping.Instances, "instances"),
                Query = F(ColumnMapping.Query, "input"), Response = F(ColumnMapping.Response, "output"),
            },
            _ => throw new ArgumentOutOfRangeException(nameof(layout)),
        };
    }
}
