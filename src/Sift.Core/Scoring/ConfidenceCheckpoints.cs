using System.Text.Json;

namespace Sift.Scoring;

/// <summary>
/// The C evenly spaced checkpoints a training run saved for confidence scoring, listed in
/// OUT/confidence_checkpoints.json as {"checkpoints": ["checkpoints/checkpoint-12", ...]}, paths
/// relative to OUT, in training order.
/// </summary>
public static class ConfidenceCheckpoints
{
    public const string FileName = "confidence_checkpoints.json";

    /// <summary>Fewest checkpoints (or epochs) confidence statistics are computed over: one has no variability.</summary>
    public const int Minimum = 2;

    public static List<string> Read(string runDir)
    {
        var path = Path.Combine(runDir, FileName);
        if (!File.Exists(path))
            throw new SiftException($"{path}: not found; train the reference run with confidence checkpoints, or list the model folders with --checkpoints DIR DIR ...");
        JsonElement list;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("checkpoints", out var c) || c.ValueKind != JsonValueKind.Array)
                throw new SiftException($"{path}: expected {{\"checkpoints\": [\"checkpoints/checkpoint-12\", ...]}}");
            list = c.Clone();
        }
        catch (JsonException e)
        {
            throw new SiftException($"{path}: malformed JSON ({e.Message})");
        }
        var dirs = new List<string>();
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw new SiftException($"{path}: checkpoints[{i}] must be a path string");
            var dir = Path.Combine(runDir, item.GetString()!);
            if (!Directory.Exists(dir)) throw new SiftException($"{path}: checkpoints[{i}] '{item.GetString()}' does not exist under {runDir}");
            dirs.Add(dir);
            i++;
        }
        if (dirs.Count < Minimum)
            throw new SiftException($"{path}: the run {runDir} saved {dirs.Count} confidence checkpoint(s); Cartography's variability (and any " +
                                    $"average over checkpoints) needs at least {Minimum}: train the reference again with output.confidence_checkpoints ≥ 2 " +
                                    "(e.g. 4), or list two or more model folders with --checkpoints DIR DIR ...");
        return dirs;
    }
}
