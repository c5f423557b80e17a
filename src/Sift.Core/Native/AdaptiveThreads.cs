using TorchSharp;

namespace Sift.Native;

/// <summary>
/// With SIFT_THREADS=auto, lowers the thread count of training (libtorch's and Sift's own loops) while
/// other processes keep this process's CPUs busy, and raises it again when they leave. Threads of a
/// small model work in lock step: beside a busy neighbour each parallel region waits for its slowest,
/// descheduled thread, and two threads ran slower than one (the demo: 385 s with two threads beside a
/// 2-thread load, 182 s with one; docs/RESULTS.md, "Speed"). It is a choice, not the default, because
/// some of libtorch's kernels round differently at another thread count (MKL's sgemm on a few rows,
/// for one): the demo's shapes train to the same bits at one and two threads (ThreadCountTests), but
/// a model with 32-wide layers on 5–14-token rows does not, so a run would depend on its neighbours'
/// load in its last bits, and from there on. Scoring, evaluation and generation keep the configured
/// count. Call <see cref="Observe"/> once per optimizer step, on the training thread: OpenMP's and
/// MKL's thread counts belong to the thread that sets them.
/// </summary>
public sealed class AdaptiveThreads : IDisposable
{
    /// <summary>How often the CPUs' busy time is read: often enough to follow a neighbour, long enough for 100 Hz ticks to count.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(0.5);

    private static readonly object Gate = new();
    private static (CpuTimes Times, long At, int Threads)? s_latest; // the last reading and count of any run: the next run starts there
    private static int s_announced; // the last count said on the console, so that a pipeline's runs do not each repeat it

    private readonly int _configured;
    private readonly Func<CpuTimes?> _read;
    private readonly TimeProvider _time;
    private readonly Action<string> _onChange;
    private readonly bool _shared; // the real /proc and clock: readings are kept for the next run
    private CpuTimes _last;
    private long _lastAt;

    /// <summary>The thread count now.</summary>
    public int Current { get; private set; }

    private AdaptiveThreads(int configured, Func<CpuTimes?> read, TimeProvider time, Action<string> onChange, bool shared, CpuTimes last, long lastAt)
    {
        (_configured, _read, _time, _onChange, _shared, _last, _lastAt) = (configured, read, time, onChange, shared, last, lastAt);
        Current = configured;
    }

    /// <summary>Null unless SIFT_THREADS=auto, and when one thread is all this process may use or /proc cannot be read.</summary>
    public static AdaptiveThreads? Start(Action<string> onChange)
    {
        int configured = WorkerThreads.Configured;
        if (!WorkerThreads.Adaptive || configured < 2) return null;
        (CpuTimes Times, long At, int Threads)? latest;
        lock (Gate) latest = s_latest;
        if (latest is not { } l) return Start(configured, () => CpuTimes.Read(), TimeProvider.System, onChange, shared: true);
        var threads = new AdaptiveThreads(configured, () => CpuTimes.Read(), TimeProvider.System, onChange, true, l.Times, l.At);
        if (l.Threads < configured) threads.Apply(l.Threads); // the first Observe corrects it if the neighbours left
        return threads;
    }

    internal static AdaptiveThreads? Start(int configured, Func<CpuTimes?> read, TimeProvider time, Action<string> onChange, bool shared = false) =>
        read() is { } first ? new(configured, read, time, onChange, shared, first, time.GetTimestamp()) : null;

    /// <summary>Reads the CPUs' busy time when <see cref="Interval"/> has passed and moves the thread count to what the neighbours leave free.</summary>
    public void Observe()
    {
        long now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_lastAt, now) < Interval || _read() is not { } sample) return;
        double others = CpuTimes.OthersBusyCpus(_last, sample);
        (_last, _lastAt) = (sample, now);
        int next = Next(Current, _configured, sample.Cpus - others);
        bool announce = true;
        if (_shared)
            lock (Gate)
            {
                s_latest = (sample, now, next);
                announce = next != (s_announced > 0 ? s_announced : _configured);
                s_announced = next;
            }
        if (next == Current) return;
        if (announce)
            _onChange($"threads {Current} -> {next}: other processes kept {others:F1} of the {sample.Cpus} CPUs this process may use busy " +
                      $"({WorkerThreads.Variable}={WorkerThreads.Auto})");
        Apply(next);
    }

    /// <summary>
    /// The thread count for <paramref name="freeCpus"/> CPUs left free by others: down as soon as fewer
    /// than current − 0.25 are free, up only when nearly all of a further CPU is (0.9), so that a light,
    /// flickering neighbour does not flip the count at every reading; between 1 and the configured count.
    /// </summary>
    public static int Next(int current, int configured, double freeCpus)
    {
        int up = (int)Math.Floor(freeCpus + 0.1), down = (int)Math.Floor(freeCpus + 0.25);
        int next = up > current ? up : down < current ? down : current;
        return Math.Clamp(next, 1, configured);
    }

    private void Apply(int threads)
    {
        torch.set_num_threads(threads);
        WorkerThreads.Adapted = threads == _configured ? null : threads;
        Current = threads;
    }

    /// <summary>Gives back the configured count.</summary>
    public void Dispose()
    {
        if (Current != _configured) Apply(_configured);
    }
}
