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
        if (dirs.Count == 0) throw new SiftException($"{path}: the checkpoint list is empty");
        return dirs;
    }
}
