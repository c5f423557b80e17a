using Sift.Models;
using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>
/// <see cref="Bf16SoftmaxRows"/> in libtorch operations, for logits on any device (<see cref="KernelChoice"/>): the
/// logits widened to fp32, <see cref="LogitsBuffer.CrossEntropyInPlace"/> (the fp32 loss's NLL = lse − z_gold and
/// scale·softmax, the kernel's order of operations), the gold token's −scale added, and one rounding back to bf16.
/// It differs from the kernel only where libtorch computes differently: its exp, and the order of the sum of the
/// exponentials.
/// </summary>
internal static class Bf16SoftmaxRowsTwin
{
    /// <param name="logits">bf16 [n, V]; with <paramref name="gradScale"/>, overwritten by bf16(gradScale·(softmax(z) − onehot(gold))).</param>
    /// <param name="gold">The gold token ids [n, 1], on the logits' device.</param>
    public static void Run(Tensor logits, Tensor gold, float? gradScale, float[] nll, bool[] correct)
    {
        using var scope = NewDisposeScope();
        var z = logits.to_type(ScalarType.Float32);
        var (rowNll, hits) = LogitsBuffer.CrossEntropyInPlace(z, gold, gradScale);
        rowNll.cpu().data<float>().CopyTo(nll, 0);
        hits.cpu().data<bool>().CopyTo(correct, 0);
        if (gradScale is not float scale) return;
        using var negativeScale = Scalars.Hold(-scale);
        logits.copy_(z.scatter_add_(1, gold, full([gold.shape[0], 1], negativeScale, ScalarType.Float32, z.device)));
    }
}
