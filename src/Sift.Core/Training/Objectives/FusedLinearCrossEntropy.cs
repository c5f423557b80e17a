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
/// because the loss is a scalar whose weights are fixed at forward time. The softmax is fp32 whatever
/// the model dtype (a bf16 head's logits are bf16, as F.linear gives them; <see cref="Bf16SoftmaxRows"/>, or off the CPU
/// its twin <see cref="Bf16SoftmaxRowsTwin"/>). Tests compare it with plain autograd through the full logits and,
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
    /// <summary>Elements of one fp32 logits chunk (64 MiB). A bf16 head's chunks without mixup pairs take twice the rows in bf16, the same 64 MiB: half as many products with the head and additions of its gradient.</summary>
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
        if (headGrad) gradients.Add((head, pass.HeadGradient ?? zeros(head.shape, ScalarType.Float32, head.device)));
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
        /// <summary>
        /// One logits buffer for every chunk: fp32 (<see cref="LogitsBuffer"/>) for an fp32 head and for chunks with
        /// mixup pairs; bf16 for a bf16 head's other chunks (<see cref="Bf16SoftmaxRows"/>). Made in <see cref="Run"/>,
        /// inside <see cref="Compute"/>'s dispose scope, which disposes them as it does the gradients.
        /// </summary>
        private LogitsBuffer? _logits, _logits16;

        public float[] Nll { get; } = new float[rows.shape[0]];
        public bool[] Correct { get; } = new bool[rows.shape[0]];
        public double Total { get; private set; }
        public double MixupSum { get; private set; }
        public Tensor? RowsGradient { get; } = rowsGrad ? zeros(rows.shape, ScalarType.Float32, rows.device) : null;
        /// <summary>
        /// dlogitsᵀ·h summed over the chunks: in fp32 from zero for an fp32 head; for a bf16 head the first
        /// chunk's bf16 product as it is (one chunk needs no fp32 copy of the head's size), widened to fp32
        /// when a second chunk adds to it, which sums the same values in the same order.
        /// </summary>
        public Tensor? HeadGradient { get; private set; } = headGrad && head.dtype == ScalarType.Float32 ? zeros(head.shape, ScalarType.Float32, head.device) : null;

        public void Run(double ntpScale, MixupRows mixup, double mixScale, bool pairRowsOnly)
        {
            bool bf16 = head.dtype == ScalarType.BFloat16;
            if (!bf16 || mixup.Count > 0) _logits = new LogitsBuffer(head, Math.Min(rows.shape[0], Math.Max(2, chunkRows)));
            if (bf16) _logits16 = new LogitsBuffer(head, Math.Min(rows.shape[0], 2 * chunkRows), ScalarType.BFloat16);
            long plainRows = bf16 ? 2 * chunkRows : chunkRows;
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
            for (int start = used; start < rest.Length; start += (int)plainRows)
            {
                var (ntp, _) = Chunk(rest.AsSpan(start, (int)Math.Min(plainRows, rest.Length - start)).ToArray(), [], ntpScale, mixScale);
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
            bool grads = RowsGradient is not null || headGrad;
            int k = lambdas.Length;
            if (k == 0 && _logits16 is not null) return (Bf16Chunk(index, at, h, y, ntpScale, grads), 0);
            var logits = _logits!.Logits(h);

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
            var nllValues = nll.cpu().data<float>().ToArray();
            var hits = hit.cpu().data<bool>().ToArray();
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
            if (headGrad)
            {
                if (head.dtype == ScalarType.Float32) HeadGradient!.addmm_(d.t(), h);
                else AddToHeadGradient(d.t().matmul(h));
            }
            return (ntp, mix);
        }

        /// <summary>A chunk of rows without mixup pairs through a bf16 head: bf16 logits, the loss and its gradient in one pass over them. Returns Σ NLL.</summary>
        private double Bf16Chunk(long[] index, Tensor at, Tensor h, Tensor y, double ntpScale, bool grads)
        {
            var logits = _logits16!.Logits(h);
            var nll = new float[index.Length];
            var hits = new bool[index.Length];
            if (KernelChoice.CpuKernel(logits)) Bf16SoftmaxRows.Run(logits, y.data<long>().ToArray(), grads ? (float)ntpScale : null, nll, hits);
            else Bf16SoftmaxRowsTwin.Run(logits, y, grads ? (float)ntpScale : null, nll, hits);
            double ntp = 0;
            for (int i = 0; i < index.Length; i++)
            {
                Nll[index[i]] = nll[i];
                Correct[index[i]] = hits[i];
                ntp += nll[i];
            }
            if (!grads) return ntp;
            RowsGradient?.index_add_(0, at, RowStableProduct.Product(logits, head).to_type(ScalarType.Float32), Scalars.One);
            if (headGrad) AddToHeadGradient(logits.t().matmul(h));
            return ntp;
        }

        /// <summary>Adds a chunk's bf16 dlogitsᵀ·h (made in the chunk's dispose scope) to <see cref="HeadGradient"/>.</summary>
        private void AddToHeadGradient(Tensor product)
        {
            if (HeadGradient is null)
            {
                HeadGradient = product.MoveToOuterDisposeScope();
                return;
            }
            if (HeadGradient.dtype != ScalarType.Float32)
            {
                var first = HeadGradient;
                HeadGradient = first.to_type(ScalarType.Float32).MoveToOuterDisposeScope();
                first.Dispose();
            }
            HeadGradient.PlusInPlace(product.to_type(ScalarType.Float32));
        }
    }
}
