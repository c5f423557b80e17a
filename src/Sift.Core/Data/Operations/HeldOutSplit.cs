using System.Security.Cryptography;
using System.Text;

namespace Sift.Data.Operations;

/// <summary>A held-out split by example id: the same examples are held out whatever the file order.</summary>
public static class HeldOutSplit
{
    public static bool IsHeldOut(string id, double fraction) =>
        BitConverter.ToUInt32(SHA256.HashData(Encoding.UTF8.GetBytes(id)), 0) < fraction * uint.MaxValue;
}
