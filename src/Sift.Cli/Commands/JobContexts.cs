namespace Sift.Cli.Commands;

/// <summary>The <see cref="JobContext"/> a command hands its job.</summary>
public static class JobContexts
{
    /// <summary>
    /// Messages to stderr; not cancelled: a killed score job resumes from its partial file, an eval redoes its work
    /// (`sift train` passes its <see cref="StopSignals"/> token instead, to stop at a step with a checkpoint).
    /// </summary>
    public static JobContext Console() => new(System.Console.Error.WriteLine, CancellationToken.None);
}
