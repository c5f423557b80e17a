using Sift.Native;
using Sift.Data.Batching;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>X' = X + (α/√(L·d))·ε with ε ~ U(−1, 1)^{L×d}, L per <see cref="NeftuneLength"/>.</summary>
public static class NeftuneNoise
{
    public static Tensor Apply(Tensor embeddings, TokenBatch batch, NeftuneOptions options, Generator generator)
    {
        long b = embeddings.shape[0], t = embeddings.shape[1], d = embeddings.shape[2];
        var scale = new float[b * t];
        if (options.Length == NeftuneLength.Padded)
        {
            Array.Fill(scale, (float)(options.Alpha / Math.Sqrt(t * d)));
        }
        else
        {
            foreach (var slot in batch.Examples)
            {
                float s = (float)(options.Alpha / Math.Sqrt((double)slot.Length * d));
                Array.Fill(scale, s, (int)(slot.Row * t + slot.Start), slot.Length);
            }
        }
        using var scope = NewDisposeScope();
        var noise = rand([b, t, d], ScalarType.Float32, generator: generator).mul_(Scalars.Two).sub_(Scalars.One);
        noise.mul_(tensor(scale).reshape(b, t, 1));
        // Drawn on the CPU from the step's generator whatever the device, so every device adds the same noise.
        return embeddings.Plus(noise.to(embeddings.dtype, embeddings.device)).MoveToOuterDisposeScope();
    }
}
