using System.Text.Json.Nodes;
using Sift.IO;

namespace Sift.Training;

/// <summary>
/// confidence_checkpoints.json: the model snapshots a run saved for SFTMix confidence and
/// cartography scoring, as paths relative to the run folder: {"checkpoints": ["confidence/checkpoint-12", ...]}.
/// </summary>
public static class ConfidenceList
{
    public static IReadOnlyList<string> Read(string path)
    {
        if (!File.Exists(path)) return [];
        var node = JsonNode.Parse(File.ReadAllText(path))?["checkpoints"]?.AsArray()
                   ?? throw new SiftException($"{path}: expected {{\"checkpoints\": [...]}}");
        return node.Select(n => n!.GetValue<string>()).ToList();
    }

    public static void Write(string path, IReadOnlyList<string> checkpoints) =>
        AtomicFile.WriteAllText(path, new JsonObject { ["checkpoints"] = new JsonArray(checkpoints.Select(c => (JsonNode)c).ToArray()) }.ToJsonString(new() { WriteIndented = true }) + "\n");
}
