using System.Text.Json;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using Sift.IO;

namespace Sift.Pipeline;

/// <summary>What happened to a stage in one run of the graph.</summary>
public enum StageOutcome { Ran, Cached, Planned }

public sealed record StageResult(string Name, string Key, string OutputDir, StageOutcome Outcome);

/// <summary>
/// Runs stages in dependency order. A stage's output folder is named by its cache key; a stage
/// whose folder holds a completion record with that key is skipped. Work happens in a temporary
/// folder (NAME-KEY.partial) renamed into place when done, so an interrupted stage leaves nothing
/// that looks finished. A rerun empties that folder, except for a <see cref="Stage.Resumable"/>
/// stage, which continues in it (same key, so the same inputs). With a <see cref="PipelineProgress"/>
/// each stage that runs is announced by its progress line.
/// </summary>
public static class StageRunner
{
    private const string CompletionFile = "stage.json";
    private const string WorkSuffix = ".partial";

    public static IReadOnlyList<StageResult> Run(IReadOnlyList<Stage> stages, string runDir, bool dryRun, IProgress<string> log, PipelineProgress? progress = null)
    {
        var byName = new Dictionary<string, Stage>();
        foreach (var s in stages)
            if (!byName.TryAdd(s.Name, s)) throw new SiftException($"two stages are named '{s.Name}'; stage names must be unique");
        var order = TopologicalOrder(stages, byName);
        using var runLock = dryRun ? null : FolderLock.Acquire(runDir);
        var keys = new Dictionary<string, string>();
        var outputs = new Dictionary<string, string>();
        var results = new List<StageResult>();
        foreach (var stage in order)
        {
            var key = Key(stage, keys);
            keys[stage.Name] = key;
            var outDir = Path.Combine(runDir, $"{stage.Name}-{key[..12]}");
            outputs[stage.Name] = outDir;
            if (IsComplete(outDir, key))
            {
                log.Report($"[{stage.Name}] cached ({outDir})");
                progress?.Cached(stage.Kind);
                if (!dryRun) LinkByName(runDir, stage.Name, outDir, log);
                results.Add(new(stage.Name, key, outDir, StageOutcome.Cached));
                continue;
            }
            if (dryRun)
            {
                log.Report($"[{stage.Name}] would run: {stage.Kind} -> {outDir}");
                results.Add(new(stage.Name, key, outDir, StageOutcome.Planned));
                continue;
            }
            log.Report(progress?.Starting(stage.Name, stage.Kind) ?? $"[{stage.Name}] running {stage.Kind}");
            var work = outDir + WorkSuffix;
            bool resuming = stage.Resumable && Directory.Exists(work);
            if (resuming) log.Report($"[{stage.Name}] continuing the interrupted run in {work} (its inputs are unchanged)");
            else
            {
                if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
                if (stage.Resumable)
                    foreach (var other in InterruptedRuns(runDir, stage.Name).Where(w => w != Path.GetFileName(work)))
                        log.Report($"[{stage.Name}] inputs changed since the interrupted run in {Path.Combine(runDir, other)}: starting fresh " +
                                   "(that folder is kept, and resumed if the inputs change back; delete it to free its space)");
            }
            Directory.CreateDirectory(work);
            var deps = stage.DependsOn.ToDictionary(d => d, d => outputs[d]);
            stage.Run(new StageContext(work, deps, log) { Resuming = resuming });
            AtomicFile.WriteAllText(Path.Combine(work, CompletionFile), new JsonObject
            {
                ["stage"] = stage.Name, ["kind"] = stage.Kind, ["key"] = key,
                ["settings"] = stage.Settings.DeepClone(), ["depends_on"] = new JsonArray(stage.DependsOn.Select(d => (JsonNode)d).ToArray()),
                ["finished_utc"] = DateTime.UtcNow.ToString("O"),
            }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
            Directory.Move(work, outDir);
            LinkByName(runDir, stage.Name, outDir, log);
            progress?.Finished();
            results.Add(new(stage.Name, key, outDir, StageOutcome.Ran));
        }
        return results;
    }

    /// <summary>
    /// Points RUN/NAME (a relative symbolic link) at the stage's finished folder NAME-KEY, so that recipes and
    /// people can name a stage's latest output by a path that survives new keys (sift-demo/base/model).
    /// Swapped in with one rename; an entry of that name that is not a link is left alone, with a note.
    /// </summary>
    private static void LinkByName(string runDir, string name, string outDir, IProgress<string> log)
    {
        var link = Path.Combine(runDir, name);
        var target = Path.GetFileName(outDir);
        try
        {
            var existing = new FileInfo(link).LinkTarget;
            if (existing == target) return;
            if (existing == null && Path.Exists(link))
            {
                log.Report($"[{name}] {link} exists and is not a link; not pointing it at {target}");
                return;
            }
            var staging = Path.Combine(runDir, $".{name}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            File.CreateSymbolicLink(staging, target);
            // rename(2) replaces the old link itself; File.Move would follow the new one to its folder.
            if (rename(staging, link) != 0)
            {
                int errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
                File.Delete(staging);
                throw new IOException($"rename failed (errno {errno})");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.Report($"[{name}] could not point {link} at {target}: {e.Message}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int rename(string oldPath, string newPath);

    /// <summary>The stage name of a stage output folder ("sftmix-seed1-0123456789ab" → "sftmix-seed1"); other names unchanged.</summary>
    public static string StageNameOf(string folderName) => Regex.Replace(folderName, "-[0-9a-f]{12}$", "");

    /// <summary>Names of the unfinished output folders of <paramref name="stage"/> in the run folder, whatever their key.</summary>
    private static IEnumerable<string> InterruptedRuns(string runDir, string stage)
    {
        if (!Directory.Exists(runDir)) return [];
        var pattern = new Regex("^" + Regex.Escape(stage) + "-[0-9a-f]{12}" + Regex.Escape(WorkSuffix) + "$");
        return Directory.EnumerateDirectories(runDir).Select(Path.GetFileName).OfType<string>().Where(n => pattern.IsMatch(n)).Order(StringComparer.Ordinal);
    }

    private static string Key(Stage stage, IReadOnlyDictionary<string, string> upstreamKeys)
    {
        var material = new JsonObject
        {
            ["kind"] = stage.Kind,
            ["settings"] = stage.Settings.DeepClone(),
            ["inputs"] = new JsonArray(stage.InputFiles.Order(StringComparer.Ordinal).Select(f => (JsonNode)ContentHash.OfPath(f)).ToArray()),
            ["upstream"] = new JsonArray(stage.DependsOn.Select(d => (JsonNode)$"{d}:{upstreamKeys[d]}").ToArray()),
        };
        return ContentHash.OfString(material.ToJsonString());
    }

    private static bool IsComplete(string outDir, string key)
    {
        var path = Path.Combine(outDir, CompletionFile);
        if (!File.Exists(path)) return false;
        try { return JsonNode.Parse(File.ReadAllText(path))?["key"]?.GetValue<string>() == key; }
        catch (JsonException) { return false; }
    }

    private static List<Stage> TopologicalOrder(IReadOnlyList<Stage> stages, IReadOnlyDictionary<string, Stage> byName)
    {
        var order = new List<Stage>();
        var state = new Dictionary<string, int>(); // 1 = visiting, 2 = done
        void Visit(Stage s, string? from)
        {
            if (state.GetValueOrDefault(s.Name) == 2) return;
            if (state.GetValueOrDefault(s.Name) == 1) throw new SiftException($"stages form a cycle through '{s.Name}'; a stage cannot depend on its own output");
            state[s.Name] = 1;
            foreach (var d in s.DependsOn)
                Visit(byName.TryGetValue(d, out var dep) ? dep : throw new SiftException($"stage '{s.Name}' depends on '{d}', which is not a stage of this recipe"), s.Name);
            state[s.Name] = 2;
            order.Add(s);
        }
        foreach (var s in stages) Visit(s, null);
        return order;
    }
}
