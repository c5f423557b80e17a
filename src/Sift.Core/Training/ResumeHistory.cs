using System.Text.Json.Nodes;

namespace Sift.Training;

/// <summary>
/// OUT/resume_history.jsonl: one line per resume, with the step, the checkpoint and the settings
/// that changed ({"optimizer.learning_rate": {"from": "0.0002", "to": "5E-05"}}), so a run's record
/// says when its optimizer settings stopped being the ones in the first recipe.
/// </summary>
public static class ResumeHistory
{
    public const string FileName = "resume_history.jsonl";

    public static void Append(string outputDir, long step, string checkpoint, IEnumerable<ResumeSettings.Difference> changed)
    {
        var changes = new JsonObject();
        foreach (var d in changed) changes[d.Key] = new JsonObject { ["from"] = d.Saved, ["to"] = d.Now };
        var line = new JsonObject
        {
            ["step"] = step, ["checkpoint"] = checkpoint, ["time"] = DateTimeOffset.UtcNow.ToString("o"), ["changed"] = changes,
        };
        Directory.CreateDirectory(outputDir);
        File.AppendAllText(Path.Combine(outputDir, FileName), line.ToJsonString() + "\n");
    }
}
