using System.Text.Json.Nodes;

namespace Sift.Training;

/// <summary>
/// OUT/resume_history.jsonl: one line per resume, with the step, the checkpoint and the settings
/// that changed ({"optimizer.learning_rate": {"from": "0.0002", "to": "5E-05"}}), so a run's record
/// says when its optimizer settings stopped being the ones in the first recipe.
/// </summary>
public static class ResumeHistory
{
    public static void Append(RunFolder run, long step, string checkpoint, IEnumerable<ResumeSettings.Difference> changed)
    {
        var changes = new JsonObject();
        foreach (var d in changed) changes[d.Key] = new JsonObject { ["from"] = d.Saved, ["to"] = d.Now };
        var line = new JsonObject
        {
            ["step"] = step, ["checkpoint"] = checkpoint, ["time"] = DateTimeOffset.UtcNow.ToString("o"), ["changed"] = changes,
        };
        Directory.CreateDirectory(run.Dir);
        File.AppendAllText(run.ResumeHistoryPath, line.ToJsonString() + "\n");
    }
}
