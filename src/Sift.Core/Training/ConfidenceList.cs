using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sift.IO;

namespace Sift.Training;

/// <summary>
/// OUT/confidence_checkpoints.json: the model snapshots a run saved for SFTMix confidence and Cartography
/// scoring, in training order, as paths relative to the run folder: {"checkpoints": ["confidence/checkpoint-12", ...]}.
/// The trainer adds to it (<see cref="Add"/>); `sift score confidence --run` reads it (<see cref="Folders"/>).
/// </summary>
public static class ConfidenceList
{
    /// <summary>The snapshot folder of a step, relative to the run folder.</summary>
    public static string EntryFor(long step) => Path.Combine(RunFiles.Confidence.Name, "checkpoint-" + step.ToString(CultureInfo.InvariantCulture));

    /// <summary>Lists the snapshot of <paramref name="step"/> last; entries of this step or later (left by a run resumed before them) are dropped.</summary>
    public static void Add(RunFolder run, long step)
    {
        var entry = EntryFor(step);
        Write(run, Read(run).Where(p => p != entry && StepOf(p) < step).Append(entry).ToList());
    }

    /// <summary>The listed entries as written; none when the run has saved no snapshot.</summary>
    public static IReadOnlyList<string> Read(RunFolder run)
    {
        var path = run.ConfidenceListPath;
        if (!File.Exists(path)) return [];
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new SiftException($"{path}: malformed JSON ({e.Message})", e);
        }
        if ((root as JsonObject)?["checkpoints"] is not JsonArray list)
            throw new SiftException($"{path}: expected {{\"checkpoints\": [\"{EntryFor(12)}\", ...]}}");
        return list.Select((item, i) => item is JsonValue v && v.TryGetValue<string>(out var s)
            ? s : throw new SiftException($"{path}: checkpoints[{i}] must be a path string")).ToList();
    }

    /// <summary>The listed snapshot folders, each checked to exist; an error when the run lists none.</summary>
    public static IReadOnlyList<string> Folders(RunFolder run)
    {
        var path = run.ConfidenceListPath;
        if (!File.Exists(path))
            throw new SiftException($"{path}: not found; train the reference run with confidence checkpoints, or list the model folders with --checkpoints DIR DIR ...");
        var entries = Read(run);
        if (entries.Count == 0) throw new SiftException($"{path}: lists no checkpoints; train the reference run with output.confidence_checkpoints ≥ 2");
        var folders = new List<string>();
        foreach (var (entry, i) in entries.Select((e, i) => (e, i)))
        {
            var folder = Path.Combine(run.Dir, entry);
            if (!Directory.Exists(folder)) throw new SiftException($"{path}: checkpoints[{i}] '{entry}' does not exist under {run.Dir}");
            folders.Add(folder);
        }
        return folders;
    }

    private static void Write(RunFolder run, IReadOnlyList<string> entries) =>
        AtomicFile.WriteAllText(run.ConfidenceListPath,
            new JsonObject { ["checkpoints"] = new JsonArray(entries.Select(c => (JsonNode)c).ToArray()) }.ToJsonString(new() { WriteIndented = true }) + "\n");

    private static long StepOf(string entry) => long.Parse(entry[(entry.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture);
}
