using System.CommandLine;
using Sift.Cli.Commands;
using Sift.Scoring;

namespace Sift.Tests.Scoring;

/// <summary>
/// The registry is the one place a score method is declared: every method is complete and distinct, writes exactly the
/// columns it declares, and is what `sift score`, the column catalog and docs/SCORING.md expose.
/// </summary>
public class ScoreMethodRegistryTests
{
    public static TheoryData<string> Methods => new(ScoreMethods.All.Select(m => m.Name));

    [Fact]
    public void EveryMethodHasAUniqueNameHelpAndDescribedColumns()
    {
        Assert.Equal(ScoreMethods.All.Count, ScoreMethods.All.Select(m => m.Name).Distinct().Count());
        foreach (var m in ScoreMethods.All)
        {
            Assert.Matches("^[a-z][a-z0-9-]*$", m.Name);
            Assert.False(string.IsNullOrWhiteSpace(m.Title), m.Name);
            Assert.False(string.IsNullOrWhiteSpace(m.Help), m.Name);
            Assert.NotEmpty(m.Columns);
            Assert.Equal(m.Columns.Count, m.Columns.Select(c => c.Name).Distinct().Count());
            Assert.Equal(m.Settings.Count, m.Settings.Distinct().Count());
            foreach (var c in m.Columns)
            {
                Assert.False(string.IsNullOrWhiteSpace(c.Description), $"{m.Name}: {c.Name}");
                Assert.True(c.FlagsDoubtful is null or 1 or -1, $"{m.Name}: {c.Name} has orientation {c.FlagsDoubtful}");
            }
        }
        Assert.Contains(ScoreMethods.All, m => m.Columns.Any(c => c.FlagsDoubtful != null)); // the catalog has scores to plot
    }

    [Fact]
    public void AColumnNamedByTwoMethodsMeansTheSameInBoth()
    {
        var byName = ScoreMethods.All.SelectMany(m => m.Columns).GroupBy(c => c.Name);
        foreach (var group in byName) Assert.Single(group.Distinct());
        Assert.DoesNotContain(ScoreMethods.All.SelectMany(m => m.Columns), c => c.Name is "id" or "index");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void ComputeWritesExactlyTheDeclaredColumns(string name)
    {
        var method = ScoreMethods.Named(name);
        string[] ids = ["a", "b", "c"];
        var input = new ScoreInput(ids, Passes(method, ids.Length), new MethodSettings());
        var columns = method.Compute(input).ToList();
        Assert.All(columns, c => Assert.Equal(ids.Length, c.Values.Length));
        Assert.Equal(columns.Count, columns.Select(c => c.Name).Distinct().Count());
        foreach (var c in columns) Assert.Contains(method.Columns, d => d.Matches(c.Name));
        foreach (var d in method.Columns)
            Assert.Equal(d.Numbered ? input.Passes.Count : 1, columns.Count(c => d.Matches(c.Name) && (d.Numbered || c.Name == d.Name)));
        // The table of every method passes the table's own checks (id first, one type per column).
        Assert.Equal(ids, ScoreTables.Build(method, ids, [0, 1, 2], input.Passes, input.Settings).Ids);
    }

    /// <summary>Statistics of plausible passes for <paramref name="method"/>'s inputs: 3 checkpoints or epochs where it takes several.</summary>
    private static List<PassStatistics> Passes(IScoreMethod method, int rows)
    {
        IEnumerable<(string Name, string? ModelDir)> names = method.Inputs switch
        {
            ScoreInputs.TrainingDynamics => Enumerable.Range(0, 3).Select(e => ($"epoch {e}", (string?)null)),
            ScoreInputs.DataOnly => [],
            ScoreInputs.Checkpoints => method.Passes(["c1", "c2", "c3"]).Select(p => (p.Name, (string?)p.ModelDir)),
            ScoreInputs.BaseAndReference => method.Passes(["base", "ref"]).Select(p => (p.Name, (string?)p.ModelDir)),
            _ => method.Passes(["model"]).Select(p => (p.Name, (string?)p.ModelDir)),
        };
        return names.Select((p, k) => new PassStatistics(p.Name, p.ModelDir,
            Tokens: Enumerable.Repeat(4L, rows).ToArray(),
            NllSum: Enumerable.Range(0, rows).Select(r => 4.0 * (1 + r + k)).ToArray(),
            Loss: Enumerable.Range(0, rows).Select(r => 1.0 + r + k).ToArray(),
            Accuracy: Enumerable.Range(0, rows).Select(r => 0.25 * r).ToArray(),
            MeanProbability: Enumerable.Range(0, rows).Select(r => 0.5 / (1 + r + k)).ToArray())).ToList();
    }

    [Fact]
    public void TheCliHasOneSubcommandPerRegisteredMethodWithItsHelpAndSettings()
    {
        var score = ScoreCommand.Create();
        Assert.Equal([.. ScoreMethods.All.Select(m => m.Name), "merge", "plot"], score.Subcommands.Select(c => c.Name));
        foreach (var method in ScoreMethods.All)
        {
            var command = score.Subcommands.Single(c => c.Name == method.Name);
            Assert.Equal(method.Help, command.Description);
            var settingOptions = new MethodSettingOptions(method.Settings).All.Select(o => o.Name).ToList();
            Assert.Equal(settingOptions, command.Options.Select(o => o.Name).Where(settingOptions.Contains));
            Assert.Equal(method.Inputs.RunsModels(), command.Options.Any(o => o.Name == "--shard"));
        }
        Assert.All(ScoreMethods.All, m => Assert.Contains(m.Title, score.Description));
    }

    [Fact]
    public void TheCatalogDescribesAndOrientsEveryDeclaredColumn()
    {
        foreach (var c in ScoreMethods.All.SelectMany(m => m.Columns))
        {
            var column = c.Numbered ? c.Name + "2" : c.Name;
            Assert.Equal(c.Describe(column, TokenMean.Geometric), ScoreColumns.Describe(column));
            Assert.Equal(c.FlagsDoubtful, ScoreColumns.Orientation(column));
            Assert.Equal(c.FlagsDoubtful != null && !c.Numbered, ScoreColumns.Numeric.Contains(c.Name));
        }
        Assert.Equal("mean response loss L_c at checkpoint (or epoch) 3", ScoreColumns.Describe("loss_3"));
        Assert.Null(ScoreColumns.Orientation("my_score"));
    }

    [Fact]
    public void DocsListEveryMethod()
    {
        var scoring = File.ReadAllText(Path.Combine(Paths.RepoRoot, "docs", "SCORING.md"));
        Assert.All(ScoreMethods.All, m => Assert.Contains($"| `score {m.Name} ", scoring));
    }
}
