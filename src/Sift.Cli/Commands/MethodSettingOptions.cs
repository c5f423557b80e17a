using System.CommandLine;
using Sift.Scoring;

namespace Sift.Cli.Commands;

/// <summary>
/// The `sift score` options of the <see cref="MethodSetting"/>s a method takes, declared once (every method that takes a
/// setting words it alike), in the method's order, and bound into <see cref="MethodSettings"/>.
/// </summary>
public sealed class MethodSettingOptions
{
    private readonly Option<string>? _ifdPrefix;
    private readonly Option<string>? _tokenMean;
    private readonly Option<int?>? _epochs;
    private readonly Option<long>? _seed;

    public MethodSettingOptions(IReadOnlyList<MethodSetting> settings)
    {
        var all = new List<Option>();
        foreach (var setting in settings)
            all.Add(setting switch
            {
                MethodSetting.IfdPrefix => _ifdPrefix = new("--ifd-prefix")
                {
                    Description = "Text before the response in the IFD direct pass", DefaultValueFactory = _ => IfdDirectExamples.DefaultPrefix,
                },
                MethodSetting.TokenMean => _tokenMean = new("--token-mean")
                {
                    Description = "Cartography's per-checkpoint probability p_c: geometric = exp(-L_c) (default), arithmetic = mean over response tokens of p(gold token)",
                    DefaultValueFactory = _ => "geometric",
                },
                MethodSetting.Epochs => _epochs = new("--epochs") { Description = "Use only the first N complete epochs (Cartography's burn-out)" },
                MethodSetting.Seed => _seed = new("--seed") { Description = "Seed", DefaultValueFactory = _ => 0 },
                _ => throw new ArgumentOutOfRangeException(nameof(settings), setting, "a setting without an option"),
            });
        All = all;
    }

    public IReadOnlyList<Option> All { get; }

    public MethodSettings Bind(ParseResult parse)
    {
        var defaults = new MethodSettings();
        return new MethodSettings
        {
            IfdPrefix = _ifdPrefix == null ? defaults.IfdPrefix : parse.GetValue(_ifdPrefix) ?? defaults.IfdPrefix,
            TokenMean = _tokenMean == null ? defaults.TokenMean : TokenMeans.Parse(parse.GetValue(_tokenMean), "--token-mean"),
            Epochs = _epochs == null ? defaults.Epochs : parse.GetValue(_epochs),
            Seed = _seed == null ? defaults.Seed : parse.GetValue(_seed),
        };
    }
}
