using System.Runtime.Intrinsics;
using Sift.Native;

namespace Sift.Tests.Native;

public class VectorExpTests
{
    private static float[] Exp(params float[] x)
    {
        var result = new float[x.Length];
        for (int i = 0; i < x.Length; i += 8)
        {
            var lanes = new float[8];
            Array.Copy(x, i, lanes, 0, Math.Min(8, x.Length - i));
            var e = VectorExp.Exp(Vector256.Create(lanes));
            for (int k = 0; k < Math.Min(8, x.Length - i); k++) result[i + k] = e[k];
        }
        return result;
    }

    [Fact]
    public void WithinTwoUlpOfTheExactValueAcrossTheNormalRange()
    {
        var x = Enumerable.Range(0, 40_001).Select(i => -87.3f + i * (88f + 87.3f) / 40_000).Concat([0f, -0f, 1f, -1f, 1e-8f, -1e-8f]).ToArray();
        var e = Exp(x);
        for (int i = 0; i < x.Length; i++)
        {
            double exact = Math.Exp(x[i]);
            // 2 ulp of the result: the float spacing at exact is 2^(exponent − 23).
            double ulp = Math.Pow(2, Math.Floor(Math.Log2(exact)) - 23);
            Assert.True(Math.Abs(e[i] - exact) <= 2 * ulp, $"exp({x[i]:R}) = {e[i]:R}, exact {exact:R}");
        }
    }

    [Fact]
    public void UnderflowOverflowAndNaN()
    {
        var e = Exp(-88f, -1000f, float.NegativeInfinity, 89f, float.PositiveInfinity, float.NaN, 0f, -87.3f);
        Assert.Equal([0f, 0f, 0f, float.PositiveInfinity, float.PositiveInfinity], e[..5]);
        Assert.True(float.IsNaN(e[5]));
        Assert.Equal(1f, e[6]);
        Assert.True(e[7] > 0 && float.IsNormal(e[7]));
    }
}
