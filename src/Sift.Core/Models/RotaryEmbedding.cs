using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Models;

/// <summary>
/// Rotate-half rotary position embedding (the Hugging Face Llama convention), with the Llama 3
/// frequency scaling. Inverse frequencies are computed in fp32 exactly as transformers does.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _invFreq; // [headDim/2], fp32

    public RotaryEmbedding(int headDim, double theta, Llama3RopeScaling? scaling)
    {
        using var scope = NewDisposeScope();
        using var zero = Scalars.Hold(0L);
        using var dim = Scalars.Hold(headDim);
        var exponent = arange(zero, dim, Scalars.Two, ScalarType.Int64).to_type(ScalarType.Float32).div(dim);
        var invFreq = pow(tensor((float)theta), exponent).Into(1.0);
        if (scaling != null) invFreq = ApplyLlama3Scaling(invFreq, scaling);
        _invFreq = invFreq.MoveToOuterDisposeScope();
    }

    public Tensor InverseFrequencies => _invFreq;

    private static Tensor ApplyLlama3Scaling(Tensor invFreq, Llama3RopeScaling s)
    {
        double lowFreqWavelen = s.OriginalMaxPositionEmbeddings / s.LowFreqFactor;
        double highFreqWavelen = s.OriginalMaxPositionEmbeddings / s.HighFreqFactor;
        using var low = Scalars.Hold(lowFreqWavelen);
        using var high = Scalars.Hold(highFreqWavelen);
        using var factor = Scalars.Hold(s.Factor);
        using var lowFactor = Scalars.Hold(s.LowFreqFactor);
        using var factorRange = Scalars.Hold(s.HighFreqFactor - s.LowFreqFactor);
        var wavelen = invFreq.Into(2 * Math.PI);
        var scaled = where(wavelen.gt(low), invFreq.div(factor), invFreq);
        var smooth = wavelen.Into(s.OriginalMaxPositionEmbeddings).sub(lowFactor).div(factorRange);
        var smoothed = (smooth.SubtractedFrom(1) * scaled).div(factor).Plus(smooth * scaled);
        var isMedium = wavelen.lt(high).logical_not().logical_and(wavelen.gt(low).logical_not());
        return where(isMedium, smoothed, scaled);
    }

    /// <summary>cos and sin of shape [B, 1, T, headDim] for positions [B, T], in the given dtype.</summary>
    public (Tensor Cos, Tensor Sin) Angles(Tensor positions, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var freqs = positions.to_type(ScalarType.Float32).unsqueeze(-1) * _invFreq.to(positions.device);
        var emb = cat([freqs, freqs], -1).unsqueeze(1);
        var cos = emb.cos().to_type(dtype);
        var sin = emb.sin().to_type(dtype);
        return (cos.MoveToOuterDisposeScope(), sin.MoveToOuterDisposeScope());
    }

    /// <summary>x * cos + rotate_half(x) * sin, for x of shape [B, heads, T, headDim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([x2.neg(), x1], -1);
        return (x * cos).Plus(rotated * sin).MoveToOuterDisposeScope();
    }

    public void Dispose() => _invFreq.Dispose();
}
