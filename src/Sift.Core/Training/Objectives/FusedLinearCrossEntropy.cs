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
/// the model dtype (a bf16 head's logits are bf16, as F.linear gives them; <see cref="Bf16SoftmaxRows"/>). Tests compare it with plain autograd through the full logits and,
/// for the mixup term, with the paper's form (mix hidden states, then the head, soft targets).
/// <para>
/// Results do not depend on the thread count. The one step of a chunk whose rounding could is the
/// product of its rows with the head (logits h·Wᵀ, and dlogits·W for the rows' gradient), MKL's sgemm
/// under libtorch: with more than one thread it rounds a product of 5, 6, 7, 9, 10 or 11 rows
/// differently from one thread, while each row of a product of 4, 8 or 12 and more rows comes out the
/// same at any thread count and any row count (1–3 rows take a path of their own, also the same at any
/// thread count). So chunks are full but for the last (SFTMix's pairs and the rows no pair uses share
/// chunks, as NTP's rows do), and a chunk of 4–11 rows is multiplied padded with zero rows to
/// <see cref="MinGemmRows"/>, which gives each row the bits one thread gives it unpadded (ThreadCountTests
/// measure both). The head's gradient dlogitsᵀ·h, summed over a chunk's rows, rounds alike at any thread count.
/// </para>
/// </summary>
public static class FusedLinearCrossEntropy
{
    /// <summary>Elements of one fp32 logits chunk (64 MiB). A bf16 head's chunks without mixup pairs take twice the rows in bf16, the same 64 MiB: half as many products with the head and additions of its gradient.</summary>
    public const long ChunkElements = 1 << 24;

    /// <summary>Fewest rows of a product with the head that MKL rounds alike at any thread count; chunks of 4 to this many rows less one are padded with zero rows to it.</summary>
    public const long MinGemmRows = 12;

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
    /// In place over fp32 logits [n, V]: exp(z − max), one exp per element (logsumexp followed by a
    /// softmax would take two). Returns each row's log-sum-exp [n, 1]; the logits are left as
    /// exp(z − max), and when <paramref name="scale"/> is given, scaled on to scale · softmax(z).
    /// </summary>
    private static Tensor SoftmaxInPlace(Tensor logits, Tensor max, double? scale)
    {
        var sum = logits.sub_(max).exp_().sum(1, keepdim: true);
        if (scale is double c) logits.mul_(sum.Into(c));
        return sum.log_().PlusInPlace(max);
    }

    /// <summary>
    /// One pass over the rows: pairs first (both members in one chunk), each chunk of pairs filled up to
    /// chunkRows with rows no pair uses, then the rest of those. So every chunk but the last is full, as
    /// without pairs: a chunk of just the few rows no pair uses would be a small product with the head,
    /// rounded differently at another thread count (see the class summary).
    /// </summary>
    private sealed class Pass(Tensor rows, Tensor head, Tensor gold, bool rowsGrad, bool headGrad, long chunkRows)
    {
        private readonly long _bufferRows = BufferRows(rows.shape[0], chunkRows), _bufferRows16 = BufferRows(rows.shape[0], 2 * chunkRows);

        /// <summary>
        /// One logits buffer for every chunk (a fresh 64 MiB per chunk costs more in page faults than its softmax):
        /// fp32 for an fp32 head and for chunks with mixup pairs; bf16 for a bf16 head's other chunks
        /// (<see cref="Bf16SoftmaxRows"/>). Made in <see cref="Run"/>, inside the caller's dispose scope.
        /// </summary>
        private Tensor? _logits, _logits16;

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
            bool bf16 = head.dtype == ScalarType.BFloat16 && head.device_type == TorchSharp.DeviceType.CPU;
            if (!bf16 || mixup.Count > 0) _logits = empty([_bufferRows, head.shape[0]], ScalarType.Float32, head.device);
            if (bf16) _logits16 = empty([_bufferRows16, head.shape[0]], ScalarType.BFloat16, head.device);
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
            var logits = Logits(h);

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
                var mixLse = SoftmaxInPlace(mixed, mixed.amax([1], keepdim: true), grads ? mixScale : null);
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

            var gathered = logits.gather(1, y);
            var (max, argmax) = logits.max(1, keepdim: true);
            var lse = SoftmaxInPlace(logits, max, grads ? ntpScale : null);
            var nll = (lse - gathered).squeeze(1);
            var nllValues = nll.data<float>().ToArray();
            var hits = argmax.eq(y).squeeze(1).data<bool>().ToArray();
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
            RowsGradient?.index_add_(0, at, Product(d, head).to_type(ScalarType.Float32), Scalars.One);
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
            var logits = Logits16(h);
            var nll = new float[index.Length];
            var hits = new bool[index.Length];
            Bf16SoftmaxRows.Run(logits, y.data<long>().ToArray(), grads ? (float)ntpScale : null, nll, hits);
            double ntp = 0;
            for (int i = 0; i < index.Length; i++)
            {
                Nll[index[i]] = nll[i];
                Correct[index[i]] = hits[i];
                ntp += nll[i];
            }
            if (!grads) return ntp;
            RowsGradient?.index_add_(0, at, Product(logits, head).to_type(ScalarType.Float32), Scalars.One);
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

        /// <summary>fp32 logits h·Wᵀ for a chunk of rows (into the shared buffer), whatever the model dtype.</summary>
        private Tensor Logits(Tensor h)
        {
            long n = h.shape[0];
            if (NeedsPadding(n)) return Logits(Padded(h)).narrow(0, 0, n);
            var chunk = _logits!.narrow(0, 0, n);
            return head.dtype == ScalarType.Float32 ? chunk.addmm_(h, head.t(), beta: 0) : chunk.copy_(nn.functional.linear(h, head));
        }

        /// <summary>bf16 logits h·Wᵀ for a chunk of rows of a bf16 head, into the shared bf16 buffer.</summary>
        private Tensor Logits16(Tensor h)
        {
            long n = h.shape[0];
            if (NeedsPadding(n)) return Logits16(Padded(h)).narrow(0, 0, n);
            return _logits16!.narrow(0, 0, n).addmm_(h, head.t(), beta: 0);
        }

        /// <summary>a·b, rounded alike at any thread count (see <see cref="MinGemmRows"/>).</summary>
        private static Tensor Product(Tensor a, Tensor b) =>
            NeedsPadding(a.shape[0]) ? Padded(a).matmul(b).narrow(0, 0, a.shape[0]) : a.matmul(b);

        private static long BufferRows(long rows, long chunkRows) => Math.Max(MinGemmRows, Math.Min(rows, Math.Max(2, chunkRows)));

        private static bool NeedsPadding(long rows) => rows > 3 && rows < MinGemmRows;

        /// <summary><paramref name="x"/> [n, D] over zero rows, to <see cref="MinGemmRows"/> rows.</summary>
        private static Tensor Padded(Tensor x) => cat([x, zeros([MinGemmRows - x.shape[0], x.shape[1]], x.dtype, x.device)], 0);
    }
}
