using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// Which keys each query may attend to, and each token's rotary position. Three shapes occur:
/// plain causal (one sequence per row, no padding: the fast path), padded rows, and packed rows
/// holding several examples (block-diagonal causal attention, positions restarting per example).
/// </summary>
public sealed class AttentionLayout : IDisposable
{
    private AttentionLayout(Tensor positions, Tensor? mask)
    {
        Positions = positions;
        Mask = mask;
    }

    /// <summary>Rotary positions, [B, T] int64.</summary>
    public Tensor Positions { get; }

    /// <summary>bool [B, 1, T, S], true where the query may attend to the key; null means plain causal.</summary>
    public Tensor? Mask { get; }

    /// <summary>Plain causal attention for rows of T new tokens after <paramref name="offset"/> cached ones.</summary>
    public static AttentionLayout Causal(long batch, long length, long offset = 0, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var positions = Scalars.Range(offset, offset + length, ScalarType.Int64, device).unsqueeze(0).expand(batch, length).contiguous();
        Tensor? mask = null;
        if (offset > 0 && length > 1)
        {
            var q = Scalars.Range(offset, offset + length, ScalarType.Int64, device).unsqueeze(1);
            var k = Scalars.Range(0, offset + length, ScalarType.Int64, device).unsqueeze(0);
            mask = (k <= q).unsqueeze(0).unsqueeze(0).expand(batch, 1, length, offset + length).contiguous().MoveToOuterDisposeScope();
        }
        positions.MoveToOuterDisposeScope();
        return new AttentionLayout(positions, mask);
    }

    /// <summary>
    /// Rows padded on either side: <paramref name="attentionMask"/> is [B, T] with 1 for real tokens.
    /// Positions count real tokens only, as in Hugging Face (cumsum − 1). Padding queries attend to
    /// themselves only, so no row of the softmax is empty; their outputs are never used.
    /// </summary>
    public static AttentionLayout Padded(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var real = attentionMask.to_type(ScalarType.Bool);
        using var one = Scalars.Hold(1L);
        using var zero = Scalars.Hold(0L);
        var positions = real.to_type(ScalarType.Int64).cumsum(1).sub(one).clamp_min(zero);
        long t = attentionMask.shape[1];
        var causal = ones(t, t, ScalarType.Bool, attentionMask.device).tril();
        var mask = causal.unsqueeze(0) & real.unsqueeze(1);
        mask = mask | eye(t, dtype: ScalarType.Bool, device: attentionMask.device).unsqueeze(0);
        return new AttentionLayout(positions.MoveToOuterDisposeScope(), mask.unsqueeze(1).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// One new token per row after a left-padded prefix held in the KV cache: <paramref name="attentionMask"/>
    /// is [B, S] over every cached position plus the new one, 1 for real tokens. The new token sits at
    /// position (real tokens so far − 1), as <see cref="Padded"/> numbers them, and attends to the real keys.
    /// </summary>
    public static AttentionLayout PaddedStep(Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        using var one = Scalars.Hold(1L);
        var positions = attentionMask.to_type(ScalarType.Int64).sum(1, keepdim: true).sub(one);
        var mask = attentionMask.to_type(ScalarType.Bool).unsqueeze(1).unsqueeze(1);
        return new AttentionLayout(positions.MoveToOuterDisposeScope(), mask.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Packed rows: <paramref name="segmentIds"/> is [B, T], with k > 0 for the k-th example in the row
    /// and 0 for padding. Attention is causal within each example; positions restart at 0 per example.
    /// </summary>
    public static AttentionLayout Packed(Tensor segmentIds)
    {
        using var scope = NewDisposeScope();
        long b = segmentIds.shape[0], t = segmentIds.shape[1];
        var device = segmentIds.device;
        var index = Scalars.Range(0, t, ScalarType.Int64, device).unsqueeze(0).expand(b, t);
        // Start of each token's segment: the last index where the segment id changed.
        var changed = ones(b, t, ScalarType.Bool, device);
        changed[TensorIndex.Colon, TensorIndex.Slice(1)] = segmentIds[TensorIndex.Colon, TensorIndex.Slice(1)] != segmentIds[TensorIndex.Colon, TensorIndex.Slice(null, -1)];
        var starts = where(changed, index, zeros_like(index)).cummax(1).values;
        var positions = index - starts;
        using var zero = Scalars.Hold(0L);
        var same = segmentIds.unsqueeze(2) == segmentIds.unsqueeze(1);
        var causal = ones(t, t, ScalarType.Bool, device).tril().unsqueeze(0);
        var mask = (same & causal & segmentIds.gt(zero).unsqueeze(1)) | eye(t, dtype: ScalarType.Bool, device: device).unsqueeze(0);
        return new AttentionLayout(positions.MoveToOuterDisposeScope(), mask.unsqueeze(1).MoveToOuterDisposeScope());
    }

    /// <summary>This layout when it is on <paramref name="device"/> already, else a copy there (the caller disposes it).</summary>
    public AttentionLayout On(Device device)
    {
        if (ComputeDevice.Same(Positions.device, device)) return this;
        using var scope = NewDisposeScope();
        return new AttentionLayout(Positions.to(device).MoveToOuterDisposeScope(), Mask?.to(device).MoveToOuterDisposeScope());
    }

    public void Dispose()
    {
        Positions.Dispose();
        Mask?.Dispose();
    }
}
