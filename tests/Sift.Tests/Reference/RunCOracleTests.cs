using Sift.Generation;
using Sift.Models;

namespace Sift.Tests.Reference;

/// <summary>Sift's greedy generation equals llama2.c's run.c, token for token, on real and exported checkpoints.</summary>
public class RunCOracleTests
{
    private static readonly string Stories260KBin = Paths.Asset("models", "stories260K", "stories260K.bin");
    private static readonly string Stories260KHf = Paths.Asset("models", "stories260K-hf");

    private static int[] OracleIds() =>
        File.ReadAllText(Paths.Asset("reference", "llama2c", "oracle", "stories260K_greedy_ids_n64.txt"))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    private static int[] SiftGreedy(CausalLM model, int[] prompt, int newTokens) =>
        TextGenerator.Generate(model, prompt, newTokens, new SamplingOptions(), new HashSet<int>()).ToArray();

    [Fact]
    public void Stories260KGreedyIdsEqualRunC()
    {
        using var model = ModelFolder.Load(Stories260KHf);
        var sift = SiftGreedy(model, [1], 64);
        Assert.Equal(OracleIds(), sift);
        Assert.Equal(RunC.GreedyIdsFromBos(Stories260KBin, 512, 64), sift);
    }

    [Fact]
    public void CliGeneratePrintsRunCsContinuationOfATextPrompt()
    {
        var expected = File.ReadAllText(Paths.Asset("reference", "llama2c", "oracle", "stories260K_greedy_prompt_n64.txt"));
        // run.c -n 64 runs 64 positions from BOS: the 4 prompt tokens are forced, then 60 are generated.
        var (code, stdout, _) = CliRunner.Run("generate", "--model", Stories260KHf, "--prompt", "Once upon a time", "--max-new-tokens", "60", "--temperature", "0");
        Assert.Equal(0, code);
        Assert.Equal(expected.TrimEnd('\n'), "Once upon a time" + stdout.TrimEnd('\n'));
    }

    [Fact]
    public void CliPrintIdsEqualsRunC()
    {
        var (code, stdout, _) = CliRunner.Run("generate", "--model", Stories260KHf, "--prompt-ids", "1", "--max-new-tokens", "64", "--print-ids");
        Assert.Equal(0, code);
        Assert.Equal(string.Join(' ', OracleIds()), stdout.Trim());
    }
}
