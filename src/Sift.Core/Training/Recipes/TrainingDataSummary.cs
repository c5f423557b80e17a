using System.Text.Json;
using Sift.Data;
using Sift.IO;

namespace Sift.Training.Recipes;

/// <summary>OUT/training_data.json of a training run: how much data it trained and evaluated on (reports show it).</summary>
public sealed record TrainingDataSummary(int TrainExamples, long TrainTokens, int EvalExamples)
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public static TrainingDataSummary Of(IReadOnlyList<TokenizedExample> train, IReadOnlyList<TokenizedExample> eval) =>
        new(train.Count, train.Sum(e => (long)e.TrainedCount), eval.Count);

    public void Write(RunFolder run) => AtomicFile.WriteAllText(run.TrainingDataPath, JsonSerializer.Serialize(this, Json) + "\n");

    /// <summary>The summary of a run folder, or null when the run predates it.</summary>
    public static TrainingDataSummary? TryRead(RunFolder run)
    {
        var path = run.TrainingDataPath;
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<TrainingDataSummary>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new SiftException($"{path}: not a training data summary ({e.Message})", e);
        }
    }
}
