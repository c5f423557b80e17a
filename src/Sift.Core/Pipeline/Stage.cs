using System.Text.Json.Nodes;

namespace Sift.Pipeline;

/// <summary>
/// One step of a recipe (train, score, select, eval, report...). Its cache key is a hash of its
/// kind, its settings, the content of the files it reads and the keys of the stages it depends
/// on, so editing a setting or an input redoes this stage and everything downstream of it.
/// </summary>
public sealed class Stage
{
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public JsonObject Settings { get; init; } = new();
    public IReadOnlyList<string> DependsOn { get; init; } = [];
    /// <summary>Files (or folders) outside the pipeline that the stage reads; their content is hashed.</summary>
    public IReadOnlyList<string> InputFiles { get; init; } = [];
    /// <summary>
    /// Whether an interrupted run can be continued: then the unfinished output folder of a run with
    /// the same cache key is kept and handed back with <see cref="StageContext.Resuming"/> set, not emptied.
    /// </summary>
    public bool Resumable { get; init; }
    /// <summary>Does the work, writing only under <see cref="StageContext.OutputDir"/>.</summary>
    public required Action<StageContext> Run { get; init; }
}

/// <summary>What a running stage knows: its own output folder and the output folders of the stages it depends on.</summary>
public sealed record StageContext(string OutputDir, IReadOnlyDictionary<string, string> DependencyOutputs, IProgress<string> Log)
{
    /// <summary>True when <see cref="OutputDir"/> holds what an interrupted run of this stage, with the same inputs, left behind.</summary>
    public bool Resuming { get; init; }

    public string Output(string stageName) =>
        DependencyOutputs.TryGetValue(stageName, out var dir) ? dir
            : throw new SiftException($"stage output '{stageName}' was asked for but is not among this stage's dependencies");
}
