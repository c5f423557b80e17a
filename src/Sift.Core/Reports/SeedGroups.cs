using System.Text.RegularExpressions;

namespace Sift.Reports;

/// <summary>Mean and sample standard deviation (n − 1) of one metric over the seeds of a method; Std is NaN for one seed.</summary>
public sealed record SeedStat(double Mean, double Std, int Seeds)
{
    public static SeedStat Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values");
        double mean = values.Average();
        double std = values.Count < 2 ? double.NaN : Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1));
        return new SeedStat(mean, std, values.Count);
    }
}

/// <summary>Runs of one method: the runs named METHOD-seedK, or a single run under its own name.</summary>
public sealed record SeedGroup(string Method, IReadOnlyList<RunHistory> Runs);

public static partial class SeedGroups
{
    /// <summary>The method of a run named "METHOD-seedK", or null for any other name.</summary>
    public static string? MethodOf(string runName) => SeedName().Match(runName) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>Groups in the order their first run appears.</summary>
    public static List<SeedGroup> Group(IReadOnlyList<RunHistory> runs)
    {
        var groups = new List<(string Method, List<RunHistory> Runs)>();
        foreach (var run in runs)
        {
            var method = MethodOf(run.Name) ?? run.Name;
            var group = groups.FirstOrDefault(g => g.Method == method);
            if (group.Runs == null) groups.Add((method, [run]));
            else group.Runs.Add(run);
        }
        return groups.Select(g => new SeedGroup(g.Method, g.Runs)).ToList();
    }

    [GeneratedRegex(@"^(.+)-seed(\d+)$")]
    private static partial Regex SeedName();
}
