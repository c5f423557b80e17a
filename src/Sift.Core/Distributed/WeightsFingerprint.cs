using System.IO.Hashing;
using System.Text;
using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Distributed;

/// <summary>
/// XxHash128 of named weights' exact bits (names, dtypes, shapes and storage, in the order given): two
/// ranks whose fingerprints agree hold bit-identical weights. Reads each tensor in place, no copy.
/// </summary>
public static unsafe class WeightsFingerprint
{
    public static string Of(IEnumerable<(string Name, Tensor Weight)> weights)
    {
        var hash = new XxHash128();
        foreach (var (name, weight) in weights)
        {
            hash.Append(Encoding.UTF8.GetBytes($"{name}\0{weight.dtype}\0{string.Join(',', weight.shape)}\0"));
            long bytes = weight.numel() * weight.element_size();
            var start = (byte*)TensorMemory.Pointer(weight, name);
            for (long done = 0; done < bytes; done += int.MaxValue)
                hash.Append(new ReadOnlySpan<byte>(start + done, (int)Math.Min(int.MaxValue, bytes - done)));
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
