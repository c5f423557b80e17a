using Sift.Distributed;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Sift.Tests.Distributed;

public class GradientBucketsTests
{
    /// <summary>
    /// Buckets of 8 elements over a 3×5 fp32, a 7-element bf16 and a 10-element fp32 parameter (the last with no
    /// gradient): 32 elements in four full buckets, each summed once (the first in place: it is one run of one fp32
    /// gradient). fp32 sums are exact float additions of the
    /// other rank's values; the bf16 one is widened, summed in fp32 and rounded once (computed independently by
    /// libtorch's own casts); the missing gradient becomes the other rank's.
    /// </summary>
    [Fact]
    public void SumsEveryGradientOnceInFp32Buckets()
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var parameters = new[] { new Parameter(randn([3, 5], generator: g)), new Parameter(randn([7], generator: g).to_type(ScalarType.BFloat16)), new Parameter(randn([10], generator: g)) };
        parameters[0].grad = randn([3, 5], generator: g);
        parameters[1].grad = randn([7], generator: g).to_type(ScalarType.BFloat16);
        var other = randn([32], generator: g).data<float>().ToArray();
        var expected = new[]
        {
            parameters[0].grad!.flatten().data<float>().Zip(other[..15], (a, b) => a + b).ToArray(),
            parameters[1].grad!.to_type(ScalarType.Float32).add(tensor(other[15..22])).to_type(ScalarType.BFloat16).to_type(ScalarType.Float32).data<float>().ToArray(),
            other[22..],
        };

        var group = new AddingGroup(other);
        var buckets = new GradientBuckets(parameters, bucketBytes: 8 * sizeof(float));
        buckets.SumOver(group);

        Assert.Equal(32, buckets.Elements);
        Assert.Equal(4, buckets.Count);
        Assert.Equal([8, 8, 8, 8], group.Calls);
        for (int p = 0; p < parameters.Length; p++)
            Assert.Equal(expected[p], parameters[p].grad!.to_type(ScalarType.Float32).flatten().data<float>().ToArray());
    }

    /// <summary>A one-rank view of a job whose other ranks contributed <paramref name="other"/> (flattened in bucket order).</summary>
    private sealed class AddingGroup(float[] other) : IProcessGroup
    {
        private int _offset;
        public List<int> Calls { get; } = [];
        public int Rank => 0;
        public int Size => 2;

        public void Sum(Span<float> values)
        {
            for (int i = 0; i < values.Length; i++) values[i] += other[_offset + i];
            _offset += values.Length;
            Calls.Add(values.Length);
        }

        public void Sum(Span<double> values) => throw new NotSupportedException();
        public byte[] Broadcast(byte[] value) => throw new NotSupportedException();
        public IReadOnlyList<byte[]>? GatherToLeader(byte[] value) => throw new NotSupportedException();
    }
}
