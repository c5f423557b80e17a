using Sift.Training.Objectives;

namespace Sift.Tests.Training;

/// <summary>One confident/unconfident pair as the fused loss received it: its λ (every row of a pair must carry the same one) and its row count.</summary>
internal sealed record MixedPair(string Confident, string Unconfident, float Lambda, int Rows);

internal static class MixedPairs
{
    /// <summary>Groups the rows <see cref="SftMixObjective.OnMixedRows"/> reports (a pair's rows are consecutive) into pairs.</summary>
    public static List<MixedPair> From(IReadOnlyList<MixedRow> rows)
    {
        var pairs = new List<MixedPair>();
        foreach (var row in rows)
        {
            if (pairs.Count > 0 && pairs[^1] is var last && last.Confident == row.Confident && last.Unconfident == row.Unconfident)
            {
                Assert.True(last.Lambda == row.Lambda, $"pair ({row.Confident}, {row.Unconfident}) mixes its rows with different λ");
                pairs[^1] = last with { Rows = last.Rows + 1 };
            }
            else pairs.Add(new MixedPair(row.Confident, row.Unconfident, row.Lambda, 1));
        }
        return pairs;
    }
}
