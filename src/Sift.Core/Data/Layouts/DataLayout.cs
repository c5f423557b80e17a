namespace Sift.Data.Layouts;

/// <summary>How the fields of one record map to a conversation.</summary>
public enum DataLayout
{
    /// <summary>Detect from the first record (or the Parquet schema).</summary>
    Auto,
    /// <summary>instruction, input (optional), output, system (optional).</summary>
    Alpaca,
    /// <summary>conversations: [{from: human|gpt|system, value}], system (optional).</summary>
    ShareGpt,
    /// <summary>OpenAI chat: messages: [{role: system|user|assistant, content}].</summary>
    Messages,
    /// <summary>prompt, completion, system (optional).</summary>
    PromptCompletion,
    /// <summary>Self-Instruct seed tasks: id, instruction, instances: [{input, output}]; one example per instance.</summary>
    SeedTasks,
}

public static class DataLayoutNames
{
    public static string Name(DataLayout layout) => layout switch
    {
        DataLayout.Auto => "auto",
        DataLayout.Alpaca => "alpaca",
        DataLayout.ShareGpt => "sharegpt",
        DataLayout.Messages => "messages",
        DataLayout.PromptCompletion => "prompt-completion",
        DataLayout.SeedTasks => "seed-tasks",
        _ => throw new ArgumentOutOfRangeException(nameof(layout)),
    };

    public const string Choices = "auto, alpaca, sharegpt, messages, prompt-completion, seed-tasks";

    /// <summary>Parses a layout name as written on the command line or in a recipe.</summary>
    public static DataLayout Parse(string text, string settingName = "--format") =>
        text.Trim().ToLowerInvariant().Replace('_', '-') switch
        {
            "" or "auto" => DataLayout.Auto,
            "alpaca" => DataLayout.Alpaca,
            "sharegpt" => DataLayout.ShareGpt,
            "messages" or "openai" or "chatml" => DataLayout.Messages,
            "prompt-completion" or "completion" => DataLayout.PromptCompletion,
            "seed-tasks" or "self-instruct" => DataLayout.SeedTasks,
            _ => throw new SiftException($"{settingName}: unknown layout '{text}'; use one of {Choices}."),
        };
}
