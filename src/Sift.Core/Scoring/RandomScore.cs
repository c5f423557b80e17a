using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Sift.Scoring;

/// <summary>
/// A seeded uniform random score in [0, 1) per example: the first 8 bytes of
/// SHA-256("{seed}:{id}") as a big-endian integer, top 53 bits, divided by 2^53. It depends only
/// on the seed and the id, so it is the same in every shard, file order and run; ranking by it
/// is sampling without replacement.
/// </summary>
public static class RandomScore
{
    public static double Of(long seed, string id)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes($"{seed}:{id}"), hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }
}

