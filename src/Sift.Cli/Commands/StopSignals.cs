using System.Runtime.InteropServices;

namespace Sift.Cli.Commands;

/// <summary>
/// Turns the first SIGINT (Ctrl-C) or SIGTERM (what Slurm and Kubernetes send before killing a job)
/// into a cancellation, so training saves a checkpoint and stops; a second signal ends the process
/// at once. <see cref="ExitCode"/> is the shell's convention for the signal: 130 for SIGINT, 143 for SIGTERM.
/// </summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private readonly bool _ofMpiRank;
    private readonly string _stopping;

    /// <param name="ofMpiRank">This process is a rank of an mpirun job: there a signal usually means mpirun is ending the job, and it kills its ranks a second later.</param>
    /// <param name="stopping">What the first signal stops, for the message it prints.</param>
    public StopSignals(bool ofMpiRank = false, string stopping = "stopping after this step; a checkpoint will be saved")
    {
        _ofMpiRank = ofMpiRank;
        _stopping = stopping;
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    public CancellationToken Token => _cancel.Token;

    /// <summary>128 + the number of the signal that stopped the run (130 when none did).</summary>
    public int ExitCode { get; private set; } = 130;

    private void OnSignal(PosixSignalContext context)
    {
        if (_cancel.IsCancellationRequested) return;
        context.Cancel = true;
        ExitCode = context.Signal == PosixSignal.SIGTERM ? 143 : 130;
        _cancel.Cancel();
        Console.Error.WriteLine($"\n{(context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "interrupt")}: {_stopping}" +
                                (_ofMpiRank ? " if the launcher waits for it (mpirun ending its job after a rank failed, or on its own SIGTERM, does not: the job then resumes from its last periodic checkpoint)" : ""));
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _cancel.Dispose();
    }
}
