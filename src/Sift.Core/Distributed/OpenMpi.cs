using System.Runtime.InteropServices;

namespace Sift.Distributed;

/// <summary>
/// The few calls of Open MPI's C API that data-parallel training needs, bound at run time from
/// libmpi.so.40 (Debian's openmpi-bin / libopenmpi-dev). It is loaded only when an MPI launcher started
/// the process (<see cref="MpiLaunch"/>), so Sift without mpirun never touches it. Open MPI's handles
/// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, ...) are the addresses of exported globals (ompi_mpi_comm_world,
/// ...), as its mpi.h defines them; MPICH's integer handles are a different ABI, not supported.
/// The library is opened RTLD_GLOBAL, as Open MPI's plugins need its symbols (mpi4py does the same).
/// </summary>
internal sealed unsafe class OpenMpi
{
    public const string Library = "libmpi.so.40";
    private const int RtldNow = 2, RtldGlobal = 0x100;
    private const int ThreadSerialized = 2; // MPI_THREAD_SERIALIZED: calls from any one thread at a time
    private const int Success = 0;
    private static readonly void* InPlace = (void*)1; // MPI_IN_PLACE

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpen(string file, int mode);

    [DllImport("libc", EntryPoint = "dlerror")]
    private static extern IntPtr DlError();

    private readonly delegate* unmanaged<int*, byte***, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<IntPtr, int*, int> _commRank, _commSize;
    private readonly delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int> _bcast;
    private readonly delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, int, IntPtr, int> _gather;
    private readonly delegate* unmanaged<void*, int, IntPtr, void*, int*, int*, IntPtr, int, IntPtr, int> _gatherv;
    private readonly IntPtr _world, _float, _double, _int, _byte, _sum;

    private OpenMpi(IntPtr library)
    {
        IntPtr Export(string name) => NativeLibrary.TryGetExport(library, name, out var address) ? address
            : throw new SiftException($"{Library} has no symbol {name}: it is not Open MPI 4 or 5 (Sift binds Open MPI's ABI; MPICH and Intel MPI are not supported)");
        _initThread = (delegate* unmanaged<int*, byte***, int, int*, int>)Export("MPI_Init_thread");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _commRank = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<IntPtr, int*, int>)Export("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<void*, void*, int, IntPtr, IntPtr, IntPtr, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, IntPtr, int, IntPtr, int>)Export("MPI_Bcast");
        _gather = (delegate* unmanaged<void*, int, IntPtr, void*, int, IntPtr, int, IntPtr, int>)Export("MPI_Gather");
        _gatherv = (delegate* unmanaged<void*, int, IntPtr, void*, int*, int*, IntPtr, int, IntPtr, int>)Export("MPI_Gatherv");
        (_world, _float, _double, _int, _byte, _sum) = (Export("ompi_mpi_comm_world"), Export("ompi_mpi_float"), Export("ompi_mpi_double"),
            Export("ompi_mpi_int"), Export("ompi_mpi_byte"), Export("ompi_mpi_op_sum"));
    }

    /// <summary>Loads the library and calls MPI_Init_thread.</summary>
    public static OpenMpi Initialize()
    {
        var handle = DlOpen(Library, RtldNow | RtldGlobal);
        if (handle == IntPtr.Zero)
            throw new SiftException($"an MPI launcher started this process, but {Library} could not be loaded ({Marshal.PtrToStringUTF8(DlError())}); " +
                                    "install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev) on every node");
        var mpi = new OpenMpi(handle);
        int provided;
        Check(mpi._initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
        if (provided < ThreadSerialized) throw new SiftException($"Open MPI gave thread level {provided}; Sift needs MPI_THREAD_SERIALIZED ({ThreadSerialized})");
        return mpi;
    }

    public int Rank()
    {
        int rank;
        Check(_commRank(_world, &rank), "MPI_Comm_rank");
        return rank;
    }

    public int Size()
    {
        int size;
        Check(_commSize(_world, &size), "MPI_Comm_size");
        return size;
    }

    public void SumInPlace(float* values, int count) => Check(_allreduce(InPlace, values, count, _float, _sum, _world), "MPI_Allreduce");

    public void SumInPlace(double* values, int count) => Check(_allreduce(InPlace, values, count, _double, _sum, _world), "MPI_Allreduce");

    public void Broadcast(byte* buffer, int count, int root) => Check(_bcast(buffer, count, _byte, root, _world), "MPI_Bcast");

    public void Broadcast(int* value, int root) => Check(_bcast(value, 1, _int, root, _world), "MPI_Bcast");

    /// <summary>Every rank's one int, in rank order, at <paramref name="root"/> (<paramref name="all"/> is read only there).</summary>
    public void Gather(int value, int* all, int root) => Check(_gather(&value, 1, _int, all, 1, _int, root, _world), "MPI_Gather");

    public void Gather(byte* bytes, int count, byte* all, int* counts, int* offsets, int root) =>
        Check(_gatherv(bytes, count, _byte, all, counts, offsets, _byte, root, _world), "MPI_Gatherv");

    public void FinalizeMpi() => Check(_finalize(), "MPI_Finalize");

    // Open MPI's default error handler (MPI_ERRORS_ARE_FATAL) aborts the job before a failing call
    // returns; this catches a handler someone changed through the environment.
    private static void Check(int code, string call)
    {
        if (code != Success) throw new SiftException($"{call} failed with MPI error {code}");
    }
}
