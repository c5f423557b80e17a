namespace Sift.Data;

/// <summary>
/// One example ready for a model: token ids and, per position, whether that token is a training
/// target (its prediction from the previous position counts in the loss). Trained[0] is always
/// false. Every stage (training, scoring, evaluation) consumes this one type; the id joins rows
/// across stages.
/// </summary>
public sealed record TokenizedExample(string Id, int[] Tokens, bool[] Trained)
{
    public int Length => Tokens.Length;

    /// <summary>Number of trained (response) tokens.</summary>
    public int TrainedCount => Trained.Count(t => t);
}
