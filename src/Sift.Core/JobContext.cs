namespace Sift;

/// <summary>
/// What every job (typed settings in, a result out) is handed by its caller: where its log and progress lines go,
/// and the token that asks it to stop at its next safe point (a stopped job leaves what it can resume, never a
/// half-written output).
/// </summary>
public sealed record JobContext(Action<string> Log, CancellationToken Cancel)
{
    /// <summary>No log, never cancelled.</summary>
    public static JobContext Silent { get; } = new(_ => { }, CancellationToken.None);
}
