namespace Sift.Distributed;

/// <summary>
/// The processes of a data-parallel job and the collective operations training uses. Every rank must
/// make the same calls in the same order; a rank that leaves takes the job down (mpirun ends the others).
/// Rank 0 is the leader: the one that writes.
/// </summary>
public interface IProcessGroup
{
    int Rank { get; }
    int Size { get; }

    /// <summary>Replaces <paramref name="values"/> by their elementwise sum over all ranks; every rank gets the same bits.</summary>
    void Sum(Span<float> values);

    /// <inheritdoc cref="Sum(Span{float})"/>
    void Sum(Span<double> values);

    /// <summary>Rank 0's <paramref name="value"/>, on every rank (what the others pass is ignored).</summary>
    byte[] Broadcast(byte[] value);

    /// <summary>Every rank's <paramref name="value"/> in rank order, on rank 0; null on the others.</summary>
    IReadOnlyList<byte[]>? GatherToLeader(byte[] value);
}
