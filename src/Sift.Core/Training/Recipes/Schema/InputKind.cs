namespace Sift.Training.Recipes.Schema;

/// <summary>Whether a key names something a run reads (outputs and caches are not inputs): such files enter a pipeline stage's cache key.</summary>
public enum InputKind
{
    None,
    /// <summary>A folder or file read when the run builds its model or tokenizer.</summary>
    Path,
    /// <summary>A data file, checked to exist before any work.</summary>
    DataFile,
}
