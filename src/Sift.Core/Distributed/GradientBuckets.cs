using Sift.Native;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sift.Distributed;

/// <summary>
/// Sums the gradients of the trained parameters over the ranks, as PyTorch's DistributedDataParallel
/// does: flattened into fp32 buckets of up to <see cref="DefaultBucketBytes"/> (DDP's bucket_cap_mb), so
/// a model's many small tensors cost a few calls and a large one is split; bf16 gradients are widened
/// for the sum and rounded back once. A bucket that is one run of one fp32 gradient (most of a large
/// matrix) is summed where it lies, without the two copies. The sum runs after the backward passes, not overlapped with them:
/// TorchSharp (0.107) exposes no per-parameter gradient hook (Tensor.register_hook,
/// register_post_accumulate_grad_hook) to start a bucket when its gradients are ready (docs/DISTRIBUTED.md).
/// </summary>
public sealed unsafe class GradientBuckets
{
    /// <summary>25 MiB, DDP's default bucket size.</summary>
    public const int DefaultBucketBytes = 25 << 20;

    private readonly IReadOnlyList<Parameter> _parameters;
    private readonly List<Segment[]> _buckets = [];
    private readonly float[] _buffer;

    /// <summary>A run of one parameter's elements in a bucket.</summary>
    private readonly record struct Segment(int Parameter, long Start, int Count, int Offset);

    public GradientBuckets(IReadOnlyList<Parameter> parameters, int bucketBytes = DefaultBucketBytes)
    {
        if (bucketBytes < sizeof(float)) throw new ArgumentOutOfRangeException(nameof(bucketBytes), "a bucket holds at least one element");
        _parameters = parameters;
        int capacity = bucketBytes / sizeof(float), used = 0;
        var current = new List<Segment>();
        for (int p = 0; p < parameters.Count; p++)
        {
            long n = parameters[p].numel();
            for (long start = 0; start < n;)
            {
                if (used == capacity) { _buckets.Add([.. current]); current.Clear(); used = 0; }
                int count = (int)Math.Min(n - start, capacity - used);
                current.Add(new Segment(p, start, count, used));
                (start, used) = (start + count, used + count);
            }
        }
        if (current.Count > 0) _buckets.Add([.. current]);
        Elements = parameters.Sum(p => p.numel());
        _buffer = new float[_buckets.Count == 0 ? 0 : _buckets.Max(b => b[^1].Offset + b[^1].Count)];
    }

    /// <summary>Gradient elements summed per step (4 bytes each on the wire).</summary>
    public long Elements { get; }

    public int Count => _buckets.Count;

    /// <summary>Replaces every parameter's gradient by its sum over <paramref name="group"/>; a parameter without one gets the sum of the others' (zeros where none had one).</summary>
    public void SumOver(IProcessGroup group)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var gradients = _parameters.Select(Gradient).ToArray();
        fixed (float* buffer = _buffer)
            foreach (var bucket in _buckets)
            {
                var gradient = gradients[bucket[0].Parameter];
                if (bucket.Length == 1 && gradient.dtype == ScalarType.Float32)
                {
                    group.Sum(new Span<float>((float*)TensorMemory.Pointer(gradient, "gradient all-reduce") + bucket[0].Start, bucket[0].Count));
                    continue;
                }
                foreach (var s in bucket) Copy(gradients[s.Parameter], s, buffer + s.Offset, toBucket: true);
                var filled = bucket[^1].Offset + bucket[^1].Count;
                group.Sum(_buffer.AsSpan(0, filled));
                foreach (var s in bucket) Copy(gradients[s.Parameter], s, buffer + s.Offset, toBucket: false);
            }
    }

    /// <summary>The parameter's gradient as a contiguous tensor, made (zeros) when autograd left none.</summary>
    private static Tensor Gradient(Parameter p)
    {
        var g = p.grad;
        if (g is null) p.grad = zeros_like(p);
        else if (!g.is_contiguous()) p.grad = g.contiguous();
        else return g;
        return p.grad!;
    }

    private static void Copy(Tensor gradient, Segment s, float* bucket, bool toBucket)
    {
        var address = TensorMemory.Pointer(gradient, "gradient all-reduce");
        if (gradient.dtype == ScalarType.BFloat16)
        {
            var bf16 = (ushort*)address + s.Start;
            if (toBucket) TensorMemory.Widen(bf16, bucket, s.Count);
            else TensorMemory.Narrow(bucket, bf16, s.Count);
            return;
        }
        var fp32 = new Span<float>((float*)address + s.Start, s.Count);
        var packed = new Span<float>(bucket, s.Count);
        if (toBucket) fp32.CopyTo(packed);
        else packed.CopyTo(fp32);
    }
}
