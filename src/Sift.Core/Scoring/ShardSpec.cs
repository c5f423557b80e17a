using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Sift.Distributed;

namespace Sift.Scoring;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> (0-based). An example belongs to shard
/// h mod Count, where h is the first 8 bytes of SHA-256 of its UTF-8 id read as a big-endian
/// integer: deterministic on every machine, independent of file order, and balanced.
/// </summary>
public sealed record ShardSpec(int Index, int Count)
{
    public bool Owns(string id) => ShardOf(id, Count) == Index;

    public static int ShardOf(string id, int count)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(id), hash);
        return (int)(BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)count);
    }

    /// <summary>"shard-3-of-8", the part of file names that marks this shard.</summary>
    public string Tag => $"shard-{Index}-of-{Count}";

    public override string ToString() => $"{Index}/{Count}";

    /// <summary>Parses "i/n" with 0 ≤ i &lt; n.</summary>
    public static ShardSpec Parse(string text, string setting = "--shard")
    {
        var parts = text.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int i)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            return Checked(i, n, setting);
        throw new SiftException($"{setting}: '{text}' is not a shard; write INDEX/COUNT with a 0-based index, e.g. 0/8 ... 7/8");
    }

    /// <summary>
    /// The shard of this process: --shard when given; else a Slurm array task
    /// (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT); else a Kubernetes
    /// Indexed Job (JOB_COMPLETION_INDEX of <paramref name="count"/>); else a rank of an MPI launch of several
    /// processes (<see cref="MpiLaunch"/>: mpirun's OMPI_COMM_WORLD_RANK of OMPI_COMM_WORLD_SIZE, or PMI_RANK of
    /// PMI_SIZE); else null (no sharding).
    /// </summary>
    public static ShardSpec? Resolve(string? shard, int? count, Func<string, string?> environment)
    {
        if (shard != null)
        {
            var spec = Parse(shard);
            if (count != null && count != spec.Count)
                throw new SiftException($"--shard {shard} and --shard-count {count} disagree; give one of them");
            return spec;
        }
        var slurmId = environment("SLURM_ARRAY_TASK_ID");
        if (slurmId != null)
        {
            int id = EnvInt("SLURM_ARRAY_TASK_ID", slurmId);
            int min = environment("SLURM_ARRAY_TASK_MIN") is { } m ? EnvInt("SLURM_ARRAY_TASK_MIN", m) : 0;
            int n = count ?? (environment("SLURM_ARRAY_TASK_COUNT") is { } c ? EnvInt("SLURM_ARRAY_TASK_COUNT", c)
                : throw new SiftException("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard-count N or --shard I/N"));
            return Checked(id - min, n, "SLURM_ARRAY_TASK_ID");
        }
        var jobIndex = environment("JOB_COMPLETION_INDEX");
        if (jobIndex != null)
        {
            int n = count ?? throw new SiftException("JOB_COMPLETION_INDEX is set (Kubernetes Indexed Job) but the shard count is unknown; pass --shard-count N equal to the Job's completions");
            return Checked(EnvInt("JOB_COMPLETION_INDEX", jobIndex), n, "JOB_COMPLETION_INDEX");
        }
        if (MpiLaunch.Detect(environment) is { Size: > 1 } launch)
        {
            if (count != null && count != launch.Size)
                throw new SiftException($"--shard-count {count} disagrees with the {launch.Size} processes of the MPI launch ({launch.Variables}); drop --shard-count");
            return Checked(launch.Rank, launch.Size, launch.Variables);
        }
        if (count != null) throw new SiftException("--shard-count needs a shard index: --shard I/N, SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX or an MPI rank");
        return null;
    }

    private static int EnvInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
            : throw new SiftException($"environment variable {name}='{value}' is not a non-negative integer");

    private static ShardSpec Checked(int index, int count, string setting)
    {
        if (count < 1) throw new SiftException($"{setting}: the shard count must be at least 1, got {count}");
        if (index < 0 || index >= count) throw new SiftException($"{setting}: shard index {index} is outside 0..{count - 1} (indices are 0-based; for a Slurm array starting at 1 Sift subtracts SLURM_ARRAY_TASK_MIN)");
        return new ShardSpec(index, count);
    }
}
