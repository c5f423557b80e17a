using System.Globalization;
using Sift.IO;

namespace Sift.Training;

/// <summary>
/// The resumable checkpoints of a run: OUT/checkpoints/checkpoint-STEP/, each written into a
/// temporary folder and renamed into place only when complete, so a crash or a full disk never
/// leaves a half checkpoint under a real name and never touches the previous good one. Keeps the
/// newest K, and the last good one (see <see cref="DivergenceWatch"/>) when it is older.
/// </summary>
public sealed class CheckpointStore(string outputDir, int keep)
{
    public const string StateFile = "trainer_state.json";
    public const string OptimizerFile = "optimizer.safetensors";
    private const string Prefix = "checkpoint-";

    public string Root { get; } = new RunFolder(outputDir).CheckpointsDir;

    public string PathFor(long step) => Path.Combine(Root, Prefix + step.ToString(CultureInfo.InvariantCulture));

    /// <summary>Writes a checkpoint: <paramref name="write"/> fills the folder it is given; the state file goes in last.</summary>
    /// <param name="keepAlso">A checkpoint step pruning must spare beyond the newest K (the last good one).</param>
    public string Save(long step, TrainerState state, Action<string> write, long? keepAlso = null)
    {
        Directory.CreateDirectory(Root);
        var final = PathFor(step);
        var temp = Path.Combine(Root, $".{Prefix}{step}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            Directory.CreateDirectory(temp);
            write(temp);
            AtomicFile.WriteAllText(Path.Combine(temp, StateFile), state.ToJson());
            if (Directory.Exists(final))
            {
                var old = final + $".{Guid.NewGuid():N}.old";
                Directory.Move(final, old);
                Directory.Move(temp, final);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, final);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            throw new SiftException($"could not write checkpoint {final}: {e.Message}; the previous checkpoint is intact (free disk space and resume)", e);
        }
        Prune(keepAlso);
        return final;
    }

    /// <summary>Complete checkpoints, oldest first.</summary>
    public IReadOnlyList<(long Step, string Path)> List()
    {
        if (!Directory.Exists(Root)) return [];
        var found = new List<(long, string)>();
        foreach (var dir in Directory.GetDirectories(Root, Prefix + "*"))
        {
            var name = System.IO.Path.GetFileName(dir);
            if (long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var step) && File.Exists(System.IO.Path.Combine(dir, StateFile)))
                found.Add((step, dir));
        }
        return found.OrderBy(f => f.Item1).ToList();
    }

    public string? Latest() => List() is { Count: > 0 } all ? all[^1].Path : null;

    /// <summary>The checkpoint of a step, if it is complete.</summary>
    public string? Find(long step) => List().Where(c => c.Step == step).Select(c => c.Path).FirstOrDefault();

    private void Prune(long? keepAlso)
    {
        var all = List();
        for (int i = 0; i < all.Count - keep; i++)
            if (all[i].Step != keepAlso) TryDelete(all[i].Path);
        if (!Directory.Exists(Root)) return;
        foreach (var stale in Directory.GetDirectories(Root, $".{Prefix}*.tmp")) TryDelete(stale);
    }

    private static void TryDelete(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
