using Sift.IO;

namespace Sift.Training;

/// <summary>Whether a run-folder entry is a file, a folder, or the stem of a score table (STEM.parquet, STEM.jsonl, STEM.meta.json).</summary>
public enum RunEntryKind
{
    File,
    Folder,
    ScoreStem,
}

/// <summary>What `sift train --overwrite` does with an entry the previous run left.</summary>
public enum OnOverwrite
{
    /// <summary>Deleted before the new run starts: the previous run's training output.</summary>
    Delete,
    /// <summary>Written anew when the new run starts (metrics.jsonl is emptied then).</summary>
    Rewritten,
    /// <summary>Left alone: not the trainer's (the lock the new run holds; what `sift eval` and `sift score dynamics` wrote there).</summary>
    Kept,
}

/// <summary>One file or folder a training run's output folder holds.</summary>
public sealed record RunEntry(string Name, RunEntryKind Kind, OnOverwrite OnOverwrite);

/// <summary>
/// Every name in a training run's output folder (`sift train --output-dir OUT`), and what --overwrite does with it.
/// A new file the trainer writes gets an entry here, and with it its place in --overwrite
/// (<c>RunFolderTests</c> fails on a file the trainer writes that is not listed).
/// </summary>
public static class RunFiles
{
    /// <summary>The final model in Hugging Face layout (for LoRA the merged model).</summary>
    public static readonly RunEntry Model = new("model", RunEntryKind.Folder, OnOverwrite.Delete);
    /// <summary>Resumable checkpoints, checkpoint-STEP/ (<see cref="CheckpointStore"/>).</summary>
    public static readonly RunEntry Checkpoints = new("checkpoints", RunEntryKind.Folder, OnOverwrite.Delete);
    /// <summary>Model snapshots for confidence scoring, checkpoint-STEP/ (output.confidence_checkpoints).</summary>
    public static readonly RunEntry Confidence = new("confidence", RunEntryKind.Folder, OnOverwrite.Delete);
    /// <summary>The list of the confidence snapshots (<see cref="ConfidenceList"/>).</summary>
    public static readonly RunEntry ConfidenceList = new("confidence_checkpoints.json", RunEntryKind.File, OnOverwrite.Delete);
    /// <summary>The LoRA adapter in PEFT layout (lora.r &gt; 0).</summary>
    public static readonly RunEntry Adapter = new("adapter", RunEntryKind.Folder, OnOverwrite.Delete);
    /// <summary>TensorBoard event files (<see cref="TrainingLog"/>).</summary>
    public static readonly RunEntry TensorBoard = new("runs", RunEntryKind.Folder, OnOverwrite.Delete);
    /// <summary>Every example's loss each time it was trained on (output.record_dynamics; <see cref="TrainingLog"/>).</summary>
    public static readonly RunEntry Dynamics = new("training_dynamics.jsonl", RunEntryKind.File, OnOverwrite.Delete);
    /// <summary>One line per resume (<see cref="ResumeHistory"/>).</summary>
    public static readonly RunEntry ResumeHistory = new("resume_history.jsonl", RunEntryKind.File, OnOverwrite.Delete);
    /// <summary>One JSON object per logged step or evaluation (<see cref="TrainingLog"/>).</summary>
    public static readonly RunEntry Metrics = new("metrics.jsonl", RunEntryKind.File, OnOverwrite.Rewritten);
    /// <summary>The resolved recipe (Recipes/RunRecipe).</summary>
    public static readonly RunEntry Recipe = new("sift_recipe.yaml", RunEntryKind.File, OnOverwrite.Rewritten);
    /// <summary>How much data the run trained and evaluated on (Recipes/TrainingDataSummary).</summary>
    public static readonly RunEntry TrainingData = new("training_data.json", RunEntryKind.File, OnOverwrite.Rewritten);
    /// <summary>The lock a running `sift train` holds on the folder.</summary>
    public static readonly RunEntry Lock = new(FolderLock.FileName, RunEntryKind.File, OnOverwrite.Kept);
    /// <summary>`sift eval --model OUT/model` writes here by default; reports read it.</summary>
    public static readonly RunEntry Eval = new("eval", RunEntryKind.Folder, OnOverwrite.Kept);
    /// <summary>`sift score dynamics --run OUT` writes its table here by default.</summary>
    public static readonly RunEntry DynamicsScores = new("dynamics_scores", RunEntryKind.ScoreStem, OnOverwrite.Kept);

    public static IReadOnlyList<RunEntry> All { get; } =
        [Model, Checkpoints, Confidence, ConfidenceList, Adapter, TensorBoard, Dynamics, ResumeHistory, Metrics, Recipe, TrainingData, Lock, Eval, DynamicsScores];
}

/// <summary>A training run's output folder: where each of <see cref="RunFiles"/> lies, and --overwrite.</summary>
public sealed class RunFolder(string dir)
{
    public string Dir { get; } = dir;

    public string PathOf(RunEntry entry) => Path.Combine(Dir, entry.Name);

    public string ModelDir => PathOf(RunFiles.Model);
    public string CheckpointsDir => PathOf(RunFiles.Checkpoints);
    public string ConfidenceDir => PathOf(RunFiles.Confidence);
    public string ConfidenceListPath => PathOf(RunFiles.ConfidenceList);
    public string AdapterDir => PathOf(RunFiles.Adapter);
    public string TensorBoardDir => PathOf(RunFiles.TensorBoard);
    public string DynamicsPath => PathOf(RunFiles.Dynamics);
    public string ResumeHistoryPath => PathOf(RunFiles.ResumeHistory);
    public string MetricsPath => PathOf(RunFiles.Metrics);
    public string RecipePath => PathOf(RunFiles.Recipe);
    public string TrainingDataPath => PathOf(RunFiles.TrainingData);
    public string EvalDir => PathOf(RunFiles.Eval);
    public string DynamicsScoresStem => PathOf(RunFiles.DynamicsScores);

    /// <summary>Whether `sift train` has started a run here (it writes the resolved recipe first).</summary>
    public bool HoldsARun => File.Exists(RecipePath);

    /// <summary>The folders atomic writes of a run stage into (see <see cref="StagingLeftovers"/>).</summary>
    public IReadOnlyList<string> StagingFolders => [Dir, CheckpointsDir, ConfidenceDir];

    /// <summary>--overwrite: deletes every entry marked <see cref="OnOverwrite.Delete"/>.</summary>
    public void RemovePreviousRun()
    {
        foreach (var entry in RunFiles.All.Where(e => e.OnOverwrite == OnOverwrite.Delete))
        {
            var path = PathOf(entry);
            if (entry.Kind == RunEntryKind.Folder) { if (Directory.Exists(path)) Directory.Delete(path, recursive: true); }
            else if (File.Exists(path)) File.Delete(path);
        }
    }
}
