namespace Sift.Tests.Training;

/// <summary>
/// The Beta(a, b) distribution computed independently of TorchSharp (which draws SFTMix's λ from two Gamma
/// variates): its CDF, the regularized incomplete beta function I_x(a, b), by the continued fraction of
/// Numerical Recipes §6.4 (modified Lentz), with ln Γ by the Lanczos approximation (g = 7, 9 terms, ~1e-15
/// relative). <see cref="MixupLambdaTests.TheBetaCdfMatchesItsClosedForms"/> checks it against closed forms.
/// Also the one-sample Kolmogorov–Smirnov statistic and its threshold.
/// </summary>
internal static class BetaDistribution
{
    private static readonly double[] Lanczos =
    [
        0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
    ];

    public static double LogGamma(double x)
    {
        if (x < 0.5) return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x); // reflection
        x -= 1;
        double sum = Lanczos[0], t = x + 7.5;
        for (int i = 1; i < Lanczos.Length; i++) sum += Lanczos[i] / (x + i);
        return 0.5 * Math.Log(2 * Math.PI) + (x + 0.5) * Math.Log(t) - t + Math.Log(sum);
    }

    /// <summary>I_x(a, b) = P(λ ≤ x) for λ ~ Beta(a, b).</summary>
    public static double Cdf(double x, double a, double b)
    {
        if (x <= 0) return 0;
        if (x >= 1) return 1;
        double front = Math.Exp(LogGamma(a + b) - LogGamma(a) - LogGamma(b) + a * Math.Log(x) + b * Math.Log(1 - x));
        // The continued fraction converges fast for x < (a + 1)/(a + b + 2); otherwise use I_x(a, b) = 1 − I_{1−x}(b, a).
        return x < (a + 1) / (a + b + 2) ? front * ContinuedFraction(x, a, b) / a : 1 - front * ContinuedFraction(1 - x, b, a) / b;
    }

    private static double ContinuedFraction(double x, double a, double b)
    {
        const double Tiny = 1e-300;
        double qab = a + b, qap = a + 1, qam = a - 1, c = 1, d = 1 - qab * x / qap;
        d = 1 / (Math.Abs(d) < Tiny ? Tiny : d);
        double h = d;
        for (int m = 1; m <= 10_000; m++)
        {
            int m2 = 2 * m;
            double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
            d = 1 + aa * d; d = 1 / (Math.Abs(d) < Tiny ? Tiny : d);
            c = 1 + aa / c; if (Math.Abs(c) < Tiny) c = Tiny;
            h *= d * c;
            aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
            d = 1 + aa * d; d = 1 / (Math.Abs(d) < Tiny ? Tiny : d);
            c = 1 + aa / c; if (Math.Abs(c) < Tiny) c = Tiny;
            double step = d * c;
            h *= step;
            if (Math.Abs(step - 1) < 1e-15) return h;
        }
        throw new InvalidOperationException($"the incomplete beta continued fraction did not converge at x = {x}, a = {a}, b = {b}");
    }

    /// <summary>D = sup_x |F_n(x) − F(x)| of the sample against the CDF <paramref name="cdf"/>.</summary>
    public static double KolmogorovSmirnov(IEnumerable<double> sample, Func<double, double> cdf)
    {
        var sorted = sample.Order().ToArray();
        double n = sorted.Length, d = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            double f = cdf(sorted[i]);
            d = Math.Max(d, Math.Max((i + 1) / n - f, f - i / n));
        }
        return d;
    }

    /// <summary>
    /// The Dvoretzky–Kiefer–Wolfowitz inequality with Massart's constant, exact for every n and every continuous F:
    /// P(D &gt; ε) ≤ 2·exp(−2nε²). So ε = sqrt(ln(2/δ) / (2n)) is exceeded by a correct sampler with probability at most δ.
    /// </summary>
    public static double KsThreshold(int n, double falseAlarm) => Math.Sqrt(Math.Log(2 / falseAlarm) / (2.0 * n));
}
