using System.Diagnostics;

namespace Sift.Distributed;

/// <summary>
/// MPI_COMM_WORLD of a job started by an MPI launcher, as an <see cref="IProcessGroup"/>. It times its
/// calls (<see cref="CommunicationTime"/>: the transfer and the wait for the slowest rank) and counts the
/// bytes it sums (<see cref="SummedBytes"/>). There is no Dispose: a rank that fails exits without
/// MPI_Finalize, which would wait for the other ranks at a collective they may never reach; its launcher
/// then ends the job. Only a rank that finished calls <see cref="Finish"/>.
/// </summary>
public sealed unsafe class MpiWorld : IProcessGroup
{
    private static readonly object Gate = new();
    private static bool s_joined;

    private readonly OpenMpi _mpi;
    private readonly Stopwatch _communication = new();

    private MpiWorld(OpenMpi mpi, int rank, int size) => (_mpi, Rank, Size) = (mpi, rank, size);

    public int Rank { get; }
    public int Size { get; }

    /// <summary>Time spent in collective calls so far.</summary>
    public TimeSpan CommunicationTime => _communication.Elapsed;

    /// <summary>Bytes summed by <see cref="Sum(Span{float})"/> and <see cref="Sum(Span{double})"/> so far (each rank's contribution).</summary>
    public long SummedBytes { get; private set; }

    /// <summary>
    /// Initializes MPI when an MPI launcher started more than one process (<see cref="MpiLaunch"/>); null otherwise,
    /// without loading libmpi. Once per process: MPI cannot be initialized again.
    /// </summary>
    public static MpiWorld? Join(Func<string, string?> environment)
    {
        if (MpiLaunch.Detect(environment) is not { Size: > 1 } launch) return null;
        lock (Gate)
        {
            if (s_joined) throw new InvalidOperationException("MPI is initialized once per process");
            s_joined = true;
        }
        var mpi = OpenMpi.Initialize();
        int rank = mpi.Rank(), size = mpi.Size();
        if (rank != launch.Rank || size != launch.Size)
            throw new SiftException($"MPI says rank {rank} of {size}, but {launch.Variables} say {launch.Rank} of {launch.Size}: " +
                                    $"the launcher is not the Open MPI that {OpenMpi.Library} belongs to");
        return new MpiWorld(mpi, rank, size);
    }

    public void Sum(Span<float> values)
    {
        using (Measure())
            fixed (float* p = values) _mpi.SumInPlace(p, values.Length);
        SummedBytes += (long)values.Length * sizeof(float);
    }

    public void Sum(Span<double> values)
    {
        using (Measure())
            fixed (double* p = values) _mpi.SumInPlace(p, values.Length);
        SummedBytes += (long)values.Length * sizeof(double);
    }

    public byte[] Broadcast(byte[] value)
    {
        using var _ = Measure();
        int length = value.Length;
        _mpi.Broadcast(&length, 0);
        var result = Rank == 0 ? value : new byte[length];
        fixed (byte* p = result) _mpi.Broadcast(p, length, 0);
        return result;
    }

    public IReadOnlyList<byte[]>? GatherToLeader(byte[] value)
    {
        using var _ = Measure();
        var counts = new int[Rank == 0 ? Size : 1];
        fixed (int* c = counts) _mpi.Gather(value.Length, c, 0);
        var offsets = new int[counts.Length];
        for (int r = 1; r < counts.Length; r++) offsets[r] = checked(offsets[r - 1] + counts[r - 1]);
        var all = new byte[Rank == 0 ? offsets[^1] + counts[^1] : 0];
        fixed (byte* mine = value, a = all)
        fixed (int* c = counts, o = offsets)
            _mpi.Gather(mine, value.Length, a, c, o, 0);
        return Rank == 0 ? Enumerable.Range(0, Size).Select(r => all.AsSpan(offsets[r], counts[r]).ToArray()).ToList() : null;
    }

    /// <summary>MPI_Finalize, once this rank has finished its work without error.</summary>
    public void Finish() => _mpi.FinalizeMpi();

    private Measurement Measure()
    {
        _communication.Start();
        return new Measurement(_communication);
    }

    private readonly struct Measurement(Stopwatch watch) : IDisposable
    {
        public void Dispose() => watch.Stop();
    }
}
