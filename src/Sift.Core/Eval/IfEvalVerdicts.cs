using System.Text.Json;
using Sift.Text.Templates;

namespace Sift.Eval;

/// <summary>
/// IFEval's strict and loose verdicts on one instruction (Zhou et al. 2023, §3). Strict: the
/// response is not empty after stripping whitespace and follows the instruction. Loose: any of
/// eight variants of the response is non-empty after stripping and follows it; the variants are
/// the response, it without its first line, without its last line, without both (each of these
/// three stripped), and those four with every "*" removed. Lines are split on "\n" only. Both are
/// null for an instruction id Sift does not support.
/// </summary>
public static class IfEvalVerdicts
{
    public static bool? Strict(string id, string response, JsonElement kwargs)
    {
        if (!InstructionChecks.Supported.Contains(id)) return null;
        // Checked even when empty, so that bad arguments fail whatever the response (the reference builds the instruction first).
        var follows = InstructionChecks.Check(id, response, kwargs) == true;
        return PythonText.Strip(response).Length > 0 && follows;
    }

    public static bool? Loose(string id, string response, JsonElement kwargs)
    {
        if (!InstructionChecks.Supported.Contains(id)) return null;
        foreach (var variant in Variants(response))
            if (PythonText.Strip(variant).Length > 0 && InstructionChecks.Check(id, variant, kwargs) == true) return true;
        return false;
    }

    /// <summary>The eight variants, in the reference's order.</summary>
    public static IReadOnlyList<string> Variants(string response)
    {
        var lines = response.Split('\n');
        string Join(int skipFirst, int skipLast) =>
            lines.Length - skipFirst - skipLast <= 0 ? "" : PythonText.Strip(string.Join('\n', lines[skipFirst..^skipLast]));
        var removeFirst = Join(1, 0);
        var removeLast = Join(0, 1);
        var removeBoth = Join(1, 1);
        static string NoStars(string s) => s.Replace("*", "", StringComparison.Ordinal);
        return [response, NoStars(response), removeFirst, removeLast, removeBoth, NoStars(removeFirst), NoStars(removeLast), NoStars(removeBoth)];
    }
}
