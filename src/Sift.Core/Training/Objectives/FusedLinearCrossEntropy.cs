using Sift.Models;
using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>Per-row NLL and greedy hits (detached), the summed mixup loss, and the weighted total with its gradient.</summary>
public sealed record FusedLoss(Tensor Loss, float[] Nll, bool[] Correct, double MixupSum) : IDisposable
{
    public void Dispose() => Loss.Dispose();
}

/// <summary>
/// loss = ntpScale·Σ_r CE(W h_r, y_r) + mixScale·Σ_m [λ_m·CE(W z̃_m, y^c_m) + (1−λ_m)·CE(W z̃_m, y^u_m)],
/// z̃_m = λ_m·h_{c_m} + (1−λ_m)·h_{u_m}, computed straight from the hidden rows h [R, D] and the LM head
/// W [V, D] a few thousand rows at a time, so that no [R, V] logits or log-probabilities exist at once
/// (they are most of a training step's memory at a 32K vocabulary). The gradients are computed in the
/// same pass (softmax − target per chunk, then dlogits·W and dlogitsᵀ·h) and kept, [R, D] and [V, D];
/// the returned loss carries them on through autograd (<see cref="PrecomputedGradients"/>), exact
/// because the loss is a scalar whose weights are fixed at forward time. Logits are
/// fp32 whatever the model dtype. Tests compare it with plain autograd through the full logits and,
/// for the mixup term, with the paper's form (mix hidden states, then the head, soft targets).
/// <para>
/// Results do not depend on the thread count. The one step of a chunk whose rounding could is the
/// product of its rows with the head (logits h·Wᵀ, and dlogits·W for the rows' gradient), which
/// <see cref="RowStableProduct"/> pads when a chunk has 4–11 rows; so chunks are full but for the last
/// (SFTMix's pairs and the rows no pair uses share chunks, as NTP's rows do): a chunk of just the few rows
/// no pair uses would otherwise be one more small product. The head's gradient dlogitsᵀ·h, summed over a
/// chunk's rows, rounds alike at any thread count. The forward over a chunk (logits, NLL, greedy hits)
/// is <see cref="LogitsBuffer"/>'s, as the scorer's is.
/// </para>
/// </summary>
public static class FusedLinearCrossEntropy
{
    /// <summary>Elements of one fp32 logits chunk (64 MiB).</summary>
    public const long ChunkElements = 1 << 24;

    /// <param name="pairRowsOnly">Only the rows of <paramref name="mixup"/>'s pairs (the others' NLL stays 0): for the mixup term alone.</param>
    public static FusedLoss Compute(Tensor rows, Tensor head, Tensor gold, double ntpScale, MixupRows? mixup = null, double mixScale = 0,
        long chunkElements = ChunkElements, bool pairRowsOnly = false)
    {
        using var scope = NewDisposeScope();
        bool rowsGrad = is_grad_enabled() && rows.requires_grad, headGrad = is_grad_enabled() && head.requires_grad;
        long chunkRows = Math.Max(1, chunkElements / head.shape[0]);
        var pass = new Pass(rows, head, gold, rowsGrad, headGrad, chunkRows);
        using (no_grad()) pass.Run(ntpScale, mixup ?? new MixupRows([], [], []), mixScale, pairRowsOnly);
        var gradients = new List<(Tensor, Tensor)>();
        if (rowsGrad) gradients.Add((rows, pass.RowsGradient!));
        if (headGrad) gradients.Add((head, pass.HeadGradient!));
        var loss = PrecomputedGradients.Attach(tensor((float)pass.Total, device: rows.device), gradients);
        return new FusedLoss(loss.MoveToOuterDisposeScope(), pass.Nll, pass.Correct, pass.MixupSum);
    }

    /// <summary>
    /// One pass over the rows: pairs first (both members in one chunk), each chunk of pairs filled up to
    /// chunkRows with rows no pair uses, then the rest of those. So every chunk but the last is full, as
    /// without pairs: a chunk of just the few rows no pair uses would be a small product with the head,
    /// rounded differently at another thread count (see the class summary).
    /// </summary>
    private sealed class Pass(Tensor rows, Tensor head, Tensor gold, bool rowsGrad, bool headGrad, long chunkRows)
    {
        /// <summary>Disposed by <see cref="Compute"/>'s dispose scope, as the gradients are.</summary>
        private readonly LogitsBuffer _logits = new(head, Math.Min(rows.shape[0], Math.Max(2, chunkRows)));

        public float[] Nll { get; } = new float[rows.shape[0]];
        public bool[] Correct { get; } = new bool[rows.shape[0]];
        public double Total { get; private set; }
        public double MixupSum { get; private set; }
        public Tensor? RowsGradient { get; } = rowsGrad ? zeros(rows.shape, ScalarType.Float32, rows.device) : null;
        public Tensor? HeadGradient { get; } = headGrad ? zeros(head.shape, ScalarType.Float32, head.device) : null;

        public void Run(double ntpScale, MixupRows mixup, double mixScale, bool pairRowsOnly)
        {
            int pairsPerChunk = (int)Math.Max(1, chunkRows / 2);
            var inPair = new bool[Nll.Length];
            foreach (var i in mixup.Confident.Concat(mixup.Unconfident)) inPair[i] = true;
            long[] rest = pairRowsOnly ? [] : Enumerable.Range(0, Nll.Length).Where(i => !inPair[i]).Select(i => (long)i).ToArray();
            int used = 0;
            for (int start = 0; start < mixup.Count; start += pairsPerChunk)
            {
                int n = Math.Min(pairsPerChunk, mixup.Count - start);
                int fill = (int)Math.Min(Math.Max(0, chunkRows - 2 * n), rest.Length - used);
                long[] index = [.. mixup.Confident.AsSpan(start, n), .. mixup.Unconfident.AsSpan(start, n), .. rest.AsSpan(used, fill)];
                used += fill;
                var (ntp, mix) = Chunk(index, mixup.Lambda.AsSpan(start, n).ToArray(), ntpScale, mixScale);
                Total += ntpScale * ntp + mixScale * mix;
                MixupSum += mix;
            }
            for (int start = used; start < rest.Length; start += (int)chunkRows)
            {
                var (ntp, _) = Chunk(rest.AsSpan(start, (int)Math.Min(chunkRows, rest.Length - start)).ToArray(), [], ntpScale, mixScale);
                Total += ntpScale * ntp;
            }
        }

        /// <summary>
        /// The rows <paramref name="index"/>; when <paramref name="lambdas"/> has k entries, the first k rows
        /// are confident members, the next k their unconfident partners, and any after them rows no pair
        /// uses. Returns (Σ NLL, Σ mixup).
        /// </summary>
        private (double Ntp, double Mix) Chunk(long[] index, float[] lambdas, double ntpScale, double mixScale)
        {
            using var scope = NewDisposeScope();
            var device = rows.device;
            var at = tensor(index, device: device);
            var h = rows.index_select(0, at);
            var y = gold.index_select(0, at).unsqueeze(1);
            var logits = _logits.Logits(h);
            bool grads = RowsGradient is not null || HeadGradient is not null;

            int k = lambdas.Length;
            double mix = 0;
            Tensor? dMixed = null, lam = null, oneMinusLam = null;
            if (k > 0)
            {
                // Mixed logits are the mix of the members' logits (the head is linear, no bias).
                lam = tensor(lambdas, device: device).unsqueeze(1);
                var (yc, yu) = (y[..k], y[k..(2 * k)]);
                oneMinusLam = lam.SubtractedFrom(1);
                var mixed = logits[..k].lerp(logits[k..(2 * k)], oneMinusLam);
                var target = (lam * mixed.gather(1, yc)).Plus(oneMinusLam * mixed.gather(1, yu));
                var mixedMax = mixed.amax([1], keepdim: true);
                var mixLse = LogitsBuffer.LogSumInPlace(mixed, mixedMax, grads ? mixScale : null).PlusInPlace(mixedMax);
                mix = (mixLse - target).to_type(ScalarType.Float64).sum().item<double>();
                if (grads)
                {
                    dMixed = mixed;
                    using var scale = Scalars.Hold(mixScale);
                    using var negativeScale = Scalars.Hold(-mixScale);
                    dMixed.scatter_add_(1, yc, lam.mul(negativeScale));
                    dMixed.scatter_add_(1, yu, lam.sub(Scalars.One).mul(scale));
                }
            }

            var (nll, hit) = LogitsBuffer.CrossEntropyInPlace(logits, y, grads ? ntpScale : null);
            var nllValues = nll.data<float>().ToArray();
            var hits = hit.data<bool>().ToArray();
            for (int i = 0; i < index.Length; i++) { Nll[index[i]] = nllValues[i]; Correct[index[i]] = hits[i]; }
            double ntp = nll.to_type(ScalarType.Float64).sum().item<double>();
            if (!grads) return (ntp, mix);

            using var negativeNtpScale = Scalars.Hold((float)-ntpScale);
            var dLogits = logits.scatter_add_(1, y, full([index.Length, 1], negativeNtpScale, device: device));
            if (dMixed is not null)
            {
                dLogits[..k].addcmul_(dMixed, lam!, Scalars.One);
                dLogits[k..(2 * k)].addcmul_(dMixed, oneMinusLam!, Scalars.One);
            }
            var d = dLogits.to_type(head.dtype);
            RowsGradient?.index_add_(0, at, RowStableProduct.Product(d, head).to_type(ScalarType.Float32), Scalars.One);
            if (HeadGradient is not null)
            {
                if (head.dtype == ScalarType.Float32) HeadGradient.addmm_(d.t(), h);
                else HeadGradient.PlusInPlace(d.t().matmul(h).to_type(ScalarType.Float32));
            }
            return (ntp, mix);
        }
    }
}
