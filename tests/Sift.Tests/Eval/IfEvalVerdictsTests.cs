using System.Text.Json;
using Sift.Eval;

namespace Sift.Tests.Eval;

/// <summary>
/// IFEval's strict and loose verdicts. Expected values follow the reference implementation's
/// test_instruction_following_strict and _loose (Zhou et al. 2023) applied to each string.
/// </summary>
public class IfEvalVerdictsTests
{
    private static JsonElement Args(string json) => JsonDocument.Parse(json).RootElement;

    [Fact]
    public void TheEightLooseVariantsInTheReferencesOrder()
    {
        Assert.Equal(["*a*\nb\n*c*", "a\nb\nc", "b\n*c*", "*a*\nb", "b", "b\nc", "a\nb", "b"], IfEvalVerdicts.Variants("*a*\nb\n*c*"));
        // One line: removing a line leaves nothing; the variants are stripped except the response itself.
        Assert.Equal([" x ", " x ", "", "", "", "", "", ""], IfEvalVerdicts.Variants(" x "));
        Assert.Equal(["a\n", "a\n", "", "a", "", "", "a", ""], IfEvalVerdicts.Variants("a\n"));
    }

    [Theory]
    // id, response, kwargs, strict, loose
    [InlineData("punctuation:no_comma", "   ", "{}", false, false)]                                          // empty after strip: never followed
    [InlineData("punctuation:no_comma", "Sure, here you go\nno commas here", "{}", false, true)]            // without the first line
    [InlineData("punctuation:no_comma", "Hi, there\n", "{}", false, false)]                                 // the empty variants do not count
    [InlineData("startend:quotation", "Here is my answer:\n\"quoted\"", "{}", false, true)]
    [InlineData("startend:end_checker", "Thanks. **Any other questions?**", "{\"end_phrase\":\"Any other questions?\"}", false, true)] // without '*'
    [InlineData("detectable_format:json_format", "**{\"a\": 1}**", "{}", false, true)]
    [InlineData("detectable_format:title", "<<<>>>", "{}", false, false)]
    [InlineData("detectable_format:title", "<<My Title>>\nbody", "{}", true, true)]
    public void StrictAndLooseVerdicts(string id, string response, string kwargs, bool strict, bool loose)
    {
        Assert.Equal(strict, IfEvalVerdicts.Strict(id, response, Args(kwargs)));
        Assert.Equal(loose, IfEvalVerdicts.Loose(id, response, Args(kwargs)));
    }

    [Fact]
    public void AnUnsupportedInstructionHasNoVerdict()
    {
        Assert.Null(IfEvalVerdicts.Strict("language:response_language", "Bonjour", Args("{\"language\":\"fr\"}")));
        Assert.Null(IfEvalVerdicts.Loose("language:response_language", "Bonjour", Args("{\"language\":\"fr\"}")));
    }

    [Fact]
    public void MissingArgumentsFailEvenForAnEmptyResponse()
    {
        var e = Assert.Throws<SiftException>(() => IfEvalVerdicts.Strict("keywords:frequency", "", Args("{\"keyword\":\"x\"}")));
        Assert.Contains("'relation'", e.Message);
    }
}
