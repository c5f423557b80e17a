using System.Diagnostics;
using System.Text;

namespace Sift.Tests.Distributed;

/// <summary>
/// `sift` as child processes: alone, or as the ranks of an `mpirun` job, each at one thread (SIFT_THREADS=1), so a
/// rank and a single process compute every micro-batch alike. Root may run mpirun here (the OMPI_ALLOW_* variables),
/// more ranks than cores (--oversubscribe), and without ptrace-based shared-memory copies, which containers forbid.
/// </summary>
internal static class SiftJobs
{
    /// <summary>The longest a test's job may run: far beyond its seconds of work, short of a hung CI job.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    private static readonly string Sift = Path.Combine(AppContext.BaseDirectory, "sift.dll");

    public static bool HasMpirun { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "mpirun")));

    public static ProcessStartInfo Alone(IEnumerable<string> args) => Start("dotnet", [Sift, .. args]);

    public static ProcessStartInfo Ranks(int count, IEnumerable<string> args) => Start("mpirun", [.. MpirunOptions, "-np", count.ToString(), "dotnet", Sift, .. args]);

    /// <summary>One rank per argument list (mpirun's A : B form): ranks that are not started alike.</summary>
    public static ProcessStartInfo RanksEach(params string[][] perRank) =>
        Start("mpirun", [.. MpirunOptions, .. perRank.SelectMany((args, i) => (string[])[.. i > 0 ? [":"] : Array.Empty<string>(), "-np", "1", "dotnet", Sift, .. args])]);

    private static readonly string[] MpirunOptions = ["--oversubscribe", "--mca", "btl_vader_single_copy_mechanism", "none"];

    private static ProcessStartInfo Start(string program, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["SIFT_THREADS"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1";
        start.Environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1";
        return start;
    }

    /// <summary>Runs to the end; a job still running at <see cref="Limit"/> is killed and fails the test as hung.</summary>
    public static (int Code, string Output) Run(ProcessStartInfo start)
    {
        using var job = new Job(start);
        return (job.Wait(), job.Output);
    }

    /// <summary>A running child with its stdout and stderr collected together.</summary>
    public sealed class Job : IDisposable
    {
        private readonly StringBuilder _output = new();

        public Job(ProcessStartInfo start)
        {
            Process = Process.Start(start)!;
            Process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
            Process.BeginErrorReadLine();
            Process.BeginOutputReadLine();
        }

        public Process Process { get; }

        public string Output { get { lock (_output) return _output.ToString(); } }

        /// <summary>
        /// Waits until <paramref name="condition"/> holds; false if the job ended first. For a point mid-run, poll a file the
        /// job writes (its metrics.jsonl), not its output: mpirun forwards the ranks' output late, and a short job can end
        /// before the line announcing its third step arrives.
        /// </summary>
        public bool WaitUntil(Func<bool> condition)
        {
            var deadline = DateTime.UtcNow + Limit;
            while (!condition() && !Process.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(5);
            if (Process.HasExited) Process.WaitForExit(); // the output's last lines, for the caller's message
            return condition() && !Process.HasExited;
        }

        /// <summary>The exit code; fails the test (after killing the job) when the job outlives <see cref="Limit"/>.</summary>
        public int Wait()
        {
            if (!Process.WaitForExit(Limit))
            {
                Process.Kill(entireProcessTree: true);
                Assert.Fail($"the job did not end within {Limit.TotalMinutes} minutes (hung):\n{Output}");
            }
            Process.WaitForExit(); // the output's last lines
            return Process.ExitCode;
        }

        /// <summary>The PID of the job's rank <paramref name="rank"/>: mpirun's child whose OMPI_COMM_WORLD_RANK it is.</summary>
        public int RankPid(int rank)
        {
            foreach (var dir in Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                    if (parent != Process.Id) continue;
                    if (File.ReadAllText(Path.Combine(dir, "environ")).Split('\0').Contains($"OMPI_COMM_WORLD_RANK={rank}")) return int.Parse(Path.GetFileName(dir));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // ended meanwhile, or not ours
            }
            throw new InvalidOperationException($"rank {rank} of mpirun {Process.Id} not found:\n{Output}");
        }

        public void Dispose()
        {
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.Dispose();
        }
    }
}
