using System.Text.RegularExpressions;

namespace Sift.Tests.Architecture;

/// <summary>
/// The layers of Sift.Core that must not reach up (docs/ARCHITECTURE.md): computing scores knows nothing of
/// reports or the pipeline, and the low layers (IO, Native, Distributed, Config) know nothing of what is built on them.
/// </summary>
public class LayeringTests
{
    [Theory]
    [InlineData("Scoring", new[] { "Reports", "Pipeline", "Eval" })]
    [InlineData("Models", new[] { "Training", "Scoring", "Reports", "Pipeline", "Eval" })]
    [InlineData("IO", new[] { "Models", "Training", "Scoring", "Reports", "Pipeline", "Eval", "Data" })]
    [InlineData("Native", new[] { "Models", "Training", "Scoring", "Reports", "Pipeline", "Eval", "Data" })]
    [InlineData("Distributed", new[] { "Models", "Training", "Scoring", "Reports", "Pipeline", "Eval", "Data" })]
    [InlineData("Config", new[] { "Models", "Training", "Scoring", "Reports", "Pipeline", "Eval" })]
    public void ALayerDoesNotUseTheOnesAboveIt(string layer, string[] above)
    {
        var root = Path.Combine(Paths.RepoRoot, "src", "Sift.Core", layer);
        var uses = new Regex(@"\b(?:using|using static)\s+Sift\.(" + string.Join("|", above) + @")\b|\bSift\.(" + string.Join("|", above) + @")\.");
        var offending = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => uses.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(Paths.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(offending.Count == 0, $"{layer}/ uses a layer above it:\n{string.Join("\n", offending)}");
    }
}
