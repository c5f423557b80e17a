using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// The LM head's forward over chunks of hidden rows, shared by the fused training loss and the scorer so
/// that both compute a token's NLL and greedy hit alike. fp32 logits h·Wᵀ whatever the model dtype (a bf16 head's
/// own dtype for the rows of the bf16 training loss), into
/// one buffer reused by every chunk (a fresh 64 MiB per chunk cost the training loss more in page faults than its
/// softmax); then per row the gold logit by gather, max and argmax from one max(1), and one exp per element
/// in place: NLL = log Σ exp(z − max) + max − z_gold. Each row's logits round alike at any thread count
/// (<see cref="RowStableProduct"/>).
/// </summary>
public sealed class LogitsBuffer : IDisposable
{
    private readonly Tensor _head;
    private readonly Tensor _buffer;

    /// <param name="head">The LM head W [V, D].</param>
    /// <param name="rows">The most rows of a chunk.</param>
    /// <param name="dtype">The logits' dtype: fp32 (the default) whatever the head's, or the head's own (the bf16 training loss's rows).</param>
    public LogitsBuffer(Tensor head, long rows, ScalarType dtype = ScalarType.Float32)
    {
        _head = head;
        _buffer = empty([Math.Max(RowStableProduct.MinRows, rows), head.shape[0]], dtype, head.device);
    }

    /// <summary>Logits [n, V] of the rows <paramref name="h"/> [n, D], in the buffer: valid until the next call.</summary>
    public Tensor Logits(Tensor h)
    {
        long n = h.shape[0];
        if (RowStableProduct.NeedsPadding(n)) return Logits(RowStableProduct.Padded(h)).narrow(0, 0, n);
        var chunk = _buffer.narrow(0, 0, n);
        return _head.dtype == _buffer.dtype ? chunk.addmm_(h, _head.t(), beta: 0) : chunk.copy_(nn.functional.linear(h, _head));
    }

    /// <summary>
    /// Each row's NLL [n] against <paramref name="gold"/> [n, 1] as lse − z_gold, and whether its argmax is the
    /// gold token [n]. Overwrites the logits with exp(z − max), or with <paramref name="scale"/>·softmax(z) when
    /// a scale is given (a loss's gradient but for its gold term). The training loss's form: its NLL is
    /// rounded to ulps of max, which is nothing beside a loss but all of a confidently predicted token's NLL.
    /// </summary>
    public static (Tensor Nll, Tensor Hits) CrossEntropyInPlace(Tensor logits, Tensor gold, double? scale = null)
    {
        var (gathered, max, logSum, hits) = Rows(logits, gold, scale);
        return ((logSum.PlusInPlace(max) - gathered).squeeze(1), hits);
    }

    /// <summary>
    /// As <see cref="CrossEntropyInPlace"/>, the NLL as log Σ exp(z − max) − (z_gold − max), log_softmax's
    /// order of operations: a token predicted with probability near 1 keeps its small NLL (z_gold − max is
    /// exact there and log Σ is the NLL itself) where lse − z_gold would round it to ulps of max. For scores.
    /// </summary>
    public static (Tensor Nll, Tensor Hits) PreciseCrossEntropyInPlace(Tensor logits, Tensor gold)
    {
        var (gathered, max, logSum, hits) = Rows(logits, gold, null);
        return ((logSum - (gathered - max)).squeeze(1), hits);
    }

    /// <summary>The gold logits, maxima, log Σ exp(z − max) [n, 1] and greedy hits [n], one max(1) and one exp per element.</summary>
    private static (Tensor Gathered, Tensor Max, Tensor LogSum, Tensor Hits) Rows(Tensor logits, Tensor gold, double? scale)
    {
        var gathered = logits.gather(1, gold);
        var (max, argmax) = logits.max(1, keepdim: true);
        return (gathered, max, LogSumInPlace(logits, max, scale), argmax.eq(gold).squeeze(1));
    }

    /// <summary>
    /// In place over fp32 logits [n, V]: exp(z − max), one exp per element (logsumexp followed by a
    /// softmax would take two). Returns each row's log Σ exp(z − max) [n, 1] (the log-sum-exp less max);
    /// the logits are left as exp(z − max), and when <paramref name="scale"/> is given, scaled on to
    /// scale · softmax(z).
    /// </summary>
    public static Tensor LogSumInPlace(Tensor logits, Tensor max, double? scale)
    {
        var sum = logits.sub_(max).exp_().sum(1, keepdim: true);
        if (scale is double c) logits.mul_(sum.Into(c));
        return sum.log_();
    }

    public void Dispose() => _buffer.Dispose();
}
