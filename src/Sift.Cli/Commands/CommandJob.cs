using System.CommandLine;
using System.Runtime.CompilerServices;

namespace Sift.Cli.Commands;

/// <summary>
/// A command's work as one job: its parsed command line bound into the job's typed settings, run with a
/// <see cref="JobContext"/>, its result printed. `sift NAME` runs it with the console's context and turns its
/// errors into an exit code (<see cref="CliErrors"/>); a pipeline stage runs the same job with the stage's context
/// and lets its errors reach the pipeline as they are.
/// </summary>
/// <param name="Run">Binds, runs and prints; returns the exit code (not 0 only for a run stopped by a signal).</param>
public sealed record CommandJob(Func<ParseResult, JobContext, int> Run)
{
    /// <summary>
    /// Files and folders the job reads that its command line names only indirectly (a train recipe's data files); the
    /// values of its input options are found by <see cref="InputFiles.Named"/>. Called on the command lines a pipeline
    /// plans, where a path made by an earlier stage may not exist yet.
    /// </summary>
    public Func<ParseResult, IEnumerable<string>> IndirectInputs { get; init; } = _ => [];

    /// <summary>
    /// For a job that can continue an interrupted run: the checkpoint it would continue from when the command line
    /// is run again with --resume, or null (none, or the command line already says --resume or --overwrite).
    /// </summary>
    public Func<ParseResult, string?>? CheckpointToResume { get; init; }
}

public static class CommandJobs
{
    private static readonly ConditionalWeakTable<Command, CommandJob> Jobs = new();

    /// <param name="torch">Prepare TorchSharp first; commands that never touch it pass false, so they run even where it cannot load.</param>
    public static void SetJob(this Command command, CommandJob job, bool torch = true)
    {
        Jobs.AddOrUpdate(command, job);
        command.SetAction(parse => CliErrors.Run(() => job.Run(parse, JobContexts.Console()), torch));
    }

    public static void SetJob(this Command command, Func<ParseResult, JobContext, int> run, bool torch = true) => command.SetJob(new CommandJob(run), torch);

    /// <summary>The job of the command a parse result chose, or null for a command that only groups others (`sift score`).</summary>
    public static CommandJob? Of(ParseResult parse) => Jobs.TryGetValue(parse.CommandResult.Command, out var job) ? job : null;
}
