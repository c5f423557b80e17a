using Sift.Data;
using Sift.Data.Batching;
using Sift.Training;
using Sift.Training.Objectives;
using static TorchSharp.torch;

namespace Sift.Tests.Training;

/// <summary>The NTP loss on known logits equals values computed by hand.</summary>
public class ResponseTokenLossTests
{
    // Hidden states h0 = (1, 0), h1 = (0, 1), h2 = (1, 1) and LM head rows (1, 0), (0, 1), (0, 0) give
    // logits [1, 0, 0], [0, 1, 0], [1, 1, 0]. Tokens [0, 1, 1] with tokens 1 and 2 trained: position 0
    // predicts 1 and position 1 predicts 1. CE = log(e + 2) − logit[1]:
    //   position 0: log(e + 2) − 0 = 1.551444713932051, argmax 0 (wrong)
    //   position 1: log(e + 2) − 1 = 0.551444713932051, argmax 1 (right)
    // The fp32 pass rounds each logit, three exps, their sum, a log and a subtraction: under 8 roundings
    // from the float64 values (8·u relative, ~5e-7); a wrong position or target changes a value by ≥ 1.
    private static double Bound(double value) => Tolerances.Fp32Against64(8, value);

    private static readonly double Ce0 = Math.Log(Math.E + 2), Ce1 = Math.Log(Math.E + 2) - 1;

    private static (Tensor Hidden, Tensor Head, TokenizedExample Example) Case() => (
        tensor(new float[] { 1, 0, 0, 1, 1, 1 }).reshape(1, 3, 2),
        tensor(new float[] { 1, 0, 0, 1, 0, 0 }).reshape(3, 2),
        new TokenizedExample("a", [0, 1, 1], [false, true, true]));

    [Fact]
    public void PerTokenLossesAndAccuracyMatchHandComputedValues()
    {
        var (hidden, head, example) = Case();
        using var batch = TokenBatch.Padded([example]);
        var (loss, examples) = ResponseTokens.FusedLosses(hidden, head, batch, 1);
        var values = loss.Nll;
        Assert.Equal(Ce0, values[0], Bound(Ce0));
        Assert.Equal(Ce1, values[1], Bound(Ce1));
        Assert.Equal(Ce0 + Ce1, examples[0].NllSum, Bound(Ce0 + Ce1));
        Assert.Equal((2, 1), (examples[0].Tokens, examples[0].Correct));
    }

    [Fact]
    public void StepLossIsTheMeanOverEveryTrainedTokenOfTheStep()
    {
        // The micro-batch's summed NLL is divided by the trained tokens of the whole step (here 2 + 3),
        // so the micro-batches of one step add up to the step's token mean.
        var (hidden, head, example) = Case();
        using var batch = TokenBatch.Padded([example]);
        var other = new TokenizedExample("b", [0, 1, 2, 1], [false, true, true, true]);
        var context = new StepContext(0, [[example], [other]], new Generator(1));
        Assert.Equal(5, context.StepTrainedTokens);
        var (loss, _) = ResponseTokens.FusedLosses(hidden, head, batch, 1.0 / context.StepTrainedTokens);
        Assert.Equal((Ce0 + Ce1) / 5, loss.Loss.item<float>(), Bound(Ce0 + Ce1));
    }
}
