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

    /// <summary>One pass over the rows: pairs first (both members in one chunk), then the rows no pair uses.</summary>
    private sealed class Pass(Tensor rows, Tensor head, Tensor gold, bool rowsGrad, bool headGrad, long chunkRows)
    {
        /// <summary>One fp32 logits buffer for every chunk: a fresh 64 MiB per chunk costs more in page faults than its softmax.</summary>
        private readonly Tensor _logits = empty([Math.Min(rows.shape[0], Math.Max(2, chunkRows)), head.shape[0]], ScalarType.Float32, head.device);

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
            for (int start = 0; start < mixup.Count; start += pairsPerChunk)
            {
                int n = Math.Min(pairsPerChunk, mixup.Count - start);
                long[] index = [.. mixup.Confident.AsSpan(start, n), .. mixup.Unconfident.AsSpan(start, n)];
                var (ntp, mix) = Chunk(index, mixup.Lambda.AsSpan(start, n).ToArray(), ntpScale, mixScale);
                Total += ntpScale * ntp + mixScale * mix;
                MixupSum += mix;
            }
            if (pairRowsOnly) return;
            var rest = Enumerable.Range(0, Nll.Length).Where(i => !inPair[i]).Select(i => (long)i).ToArray();
            for (int start = 0; start < rest.Length; start += (int)chunkRows)
            {
                var (ntp, _) = Chunk(rest.AsSpan(start, (int)Math.Min(chunkRows, rest.Length - start)).ToArray(), [], ntpScale, mixScale);
                Total += ntpScale * ntp;
            }
        }

        /// <summary>
        /// The rows <paramref name="index"/>; when <paramref name="lambdas"/> has k entries, the first k rows
        /// are confident members and the next k their unconfident partners. Returns (Σ NLL, Σ mixup).
        /// </summary>
        private (double Ntp, double Mix) Chunk(long[] index, float[] lambdas, double ntpScale, double mixScale)
        {
            using var scope = NewDisposeScope();
            var device = rows.device;
            var at = tensor(index, device: device);
            var h = rows.index_select(0, at);
            var y = gold.index_select(0, at).unsqueeze(1);
            var logits = Logits(h);
            bool grads = RowsGradient is not null || HeadGradient is not null;

            int k = lambdas.Length;
            double mix = 0;
            Tensor? dMixed = null, lam = null, oneMinusLam = null;
            if (k > 0)
            {
                // Mixed logits are the mix of the members' logits (the head is linear, no bias).
                lam = tensor(lambdas, device: device).unsqueeze(1);
                var (yc, yu) = (y[..k], y[k..]);
                oneMinusLam = lam.SubtractedFrom(1);
                var mixed = logits[..k].lerp(logits[k..], oneMinusLam);
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
                dLogits[k..].addcmul_(dMixed, oneMinusLam!, Scalars.One);
            }
            var d = dLogits.to_type(head.dtype);
            RowsGradient?.index_add_(0, at, d.matmul(head).to_type(ScalarType.Float32), Scalars.One);
            if (HeadGradient is not null)
            {
                if (head.dtype == ScalarType.Float32) HeadGradient.addmm_(d.t(), h);
                else HeadGradient.PlusInPlace(d.t().matmul(h).to_type(ScalarType.Float32));
            }
            return (ntp, mix);
        }

        /// <summary>fp32 logits h·Wᵀ for a chunk of rows (into the shared buffer), whatever the model dtype.</summary>
        private Tensor Logits(Tensor h)
        {
            var chunk = _logits.narrow(0, 0, h.shape[0]);
            return head.dtype == ScalarType.Float32 ? chunk.addmm_(h, head.t(), beta: 0) : chunk.copy_(nn.functional.linear(h, head));
        }
    }
}
