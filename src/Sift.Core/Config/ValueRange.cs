using System.Globalization;
using System.Numerics;

namespace Sift.Config;

/// <summary>
/// The values a setting accepts beyond its type, written once beside the setting and checked both by the recipe key
/// that sets it ("FILE:LINE: KEY: must be TEXT, got VALUE") and, for options built in code, by <see cref="Check"/>.
/// </summary>
public sealed record ValueRange<T>(string Text, Func<T, bool> Holds)
{
    /// <summary>Throws "SETTING must be TEXT, got VALUE" when <paramref name="value"/> lies outside the range.</summary>
    public void Check(string setting, T value)
    {
        if (!Holds(value)) throw new SiftException(string.Create(CultureInfo.InvariantCulture, $"{setting} must be {Text}, got {value}"));
    }
}

/// <summary>The ranges settings use.</summary>
public static class Ranges
{
    public static ValueRange<T> AtLeast<T>(T min) where T : INumber<T> => new($"≥ {min}", v => v >= min);

    public static readonly ValueRange<double> Positive = new("> 0", v => v > 0);
    public static readonly ValueRange<double> NonNegative = new("≥ 0", v => v >= 0);
    public static readonly ValueRange<double> FinitePositive = new("finite and > 0", v => v > 0 && double.IsFinite(v));
    public static readonly ValueRange<double> FiniteNonNegative = new("finite and ≥ 0", v => v >= 0 && double.IsFinite(v));
    /// <summary>[0, 1): a share that leaves something over (eval_fraction, Adam's betas).</summary>
    public static readonly ValueRange<double> BelowOne = new("in [0, 1)", v => v is >= 0 and < 1);
    public static readonly ValueRange<double> UpToOne = new("in [0, 1]", v => v is >= 0 and <= 1);

    /// <summary><paramref name="range"/> for an optional value (only a value that is set is checked).</summary>
    public static ValueRange<T?> Optional<T>(ValueRange<T> range) where T : struct => new(range.Text, v => v is not { } x || range.Holds(x));
}
