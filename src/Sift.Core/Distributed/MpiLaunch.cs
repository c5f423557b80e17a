using System.Globalization;

namespace Sift.Distributed;

/// <summary>
/// Where an MPI launcher put this process: rank <see cref="Rank"/> of <see cref="Size"/>, read from the
/// variables the launcher sets before the program starts, so nothing MPI is loaded to learn it. Open MPI's
/// mpirun sets OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE; MPICH's and Intel MPI's launchers and Slurm's
/// srun --mpi=pmi2 set PMI_RANK/PMI_SIZE.
/// </summary>
public sealed record MpiLaunch(int Rank, int Size, string Variables)
{
    private static readonly (string Rank, string Size)[] Launchers = [("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"), ("PMI_RANK", "PMI_SIZE")];

    /// <summary>The launch this process is part of; null when no launcher started it.</summary>
    public static MpiLaunch? Detect(Func<string, string?> environment)
    {
        foreach (var (rankName, sizeName) in Launchers)
        {
            var rank = environment(rankName);
            if (rank == null) continue;
            var size = environment(sizeName) ?? throw new SiftException($"{rankName} is set but {sizeName} is not; start Sift with mpirun (or srun --mpi=pmi2), which sets both");
            int r = Parse(rankName, rank), n = Parse(sizeName, size);
            if (n < 1 || r >= n) throw new SiftException($"{rankName}={rank} and {sizeName}={size} do not name a rank of the job (0 ≤ rank < size)");
            return new MpiLaunch(r, n, $"{rankName}/{sizeName}");
        }
        return null;
    }

    /// <summary>Refuses a command that runs as one process when a launcher started several copies of it, which would all write the same outputs.</summary>
    public static void RequireSingleProcess(string command, Func<string, string?> environment)
    {
        if (Detect(environment) is { Size: > 1 } launch)
            throw new SiftException($"{command} runs as one process, but it was started as rank {launch.Rank} of {launch.Size} ({launch.Variables}); " +
                                    "run it without mpirun/srun, or with one process (-np 1). Only `sift train`, `sift pretrain` and `sift score` use several processes");
    }

    private static int Parse(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v
            : throw new SiftException($"environment variable {name}='{value}' is not a non-negative integer");
}
