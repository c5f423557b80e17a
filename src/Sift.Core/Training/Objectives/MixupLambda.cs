using Sift.Native;
using static TorchSharp.torch;

namespace Sift.Training.Objectives;

/// <summary>
/// SFTMix's mixing weights (docs/METHODS.md, SFTMix, "The loss"): λ ~ Beta(α, α), one per pair, drawn
/// as X / (X + Y) with X, Y ~ Gamma(α, 1) from the step's generator (so a resumed run draws the same
/// λ).
/// </summary>
public static class MixupLambda
{
    public static double[] Draw(int count, double alpha, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var alphaValue = Scalars.Hold(alpha);
        var a = full(count, alphaValue, ScalarType.Float64);
        var x = _standard_gamma(a, generator);
        var y = _standard_gamma(a, generator);
        return (x / x.Plus(y)).data<double>().ToArray();
    }
}
