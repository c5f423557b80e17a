using System.Text.RegularExpressions;
using Sift.Models.Safetensors;
using Sift.Training;

namespace Sift.Tests.Training;

/// <summary>A diverging run names a checkpoint from before the blow-up, not merely the newest one.</summary>
public class DivergenceTests
{
    [Fact]
    public void HugeLearningRateNamesAFiniteSaneCheckpointThatPrecedesTheBlowUp()
    {
        // Warmup to lr 100: step 1 runs at lr 0, step 2's update sends every weight ±10; the losses of
        // steps 3-5 are finite but hundreds of times the first ones, and a later step turns NaN.
        var dir = TrainerFixtures.TempDir();
        using var model = TrainerFixtures.Model();
        var options = TrainerFixtures.Options(steps: 40) with
        {
            LearningRate = 100, WarmupSteps = 10, LrSchedulerType = LrSchedulerType.Constant, SaveSteps = 1, SaveTotalLimit = 2,
        };
        var e = Assert.Throws<SiftException>(() => TrainerFixtures.Train(model, options, dir, TrainerFixtures.Examples(8)));

        long diverged = long.Parse(Regex.Match(e.Message, @"^step (\d+): ").Groups[1].Value);
        var named = Regex.Match(e.Message, @"The last good checkpoint is (\S+) ").Groups[1].Value;
        Assert.Contains($"--resume {named}", e.Message);
        long namedStep = long.Parse(Regex.Match(named, @"checkpoint-(\d+)$").Groups[1].Value);
        Assert.True(namedStep < diverged - 1, $"checkpoint-{namedStep} vs divergence at step {diverged}");
        Assert.True(MaxAbs(named) < 5, $"{named}: max |w| {MaxAbs(named)}");

        // The newest checkpoint, kept beside it, is the blown-up one that used to be named.
        var store = new CheckpointStore(dir, 2);
        var newest = store.Latest()!;
        Assert.NotEqual(named, newest);
        Assert.True(MaxAbs(newest) > 50, $"{newest}: max |w| {MaxAbs(newest)}");
        Assert.Equal(3, store.List().Count);
    }

    [Fact]
    public void NoCheckpointIsGoodWhenTheFirstStepsAlreadyBlowUp()
    {
        var dir = TrainerFixtures.TempDir();
        using var model = TrainerFixtures.Model();
        var options = TrainerFixtures.Options(steps: 20) with { LearningRate = 1e6, WarmupSteps = 0, LrSchedulerType = LrSchedulerType.Constant, SaveSteps = 1 };
        // Step 1 sends every weight to ±1e6; steps 2-3 then show a flat loss of ln(32) with no gradient at all.
        var e = Assert.Throws<SiftException>(() => TrainerFixtures.Train(model, options, dir, TrainerFixtures.Examples(8)));
        Assert.Contains("No good checkpoint was saved before it", e.Message);
        Assert.Contains("--overwrite", e.Message);
    }

    [Fact]
    public void WatchConfirmsACheckpointOnlyWhenTheStepsAroundItAreInRange()
    {
        var watch = new DivergenceWatch(null, currentMaxAbsWeight: 1);
        watch.Observe(3.0, 2.0);
        watch.Saved(1, 1.1);
        Assert.Null(watch.LastGood);
        watch.Observe(2.9, 2.1);
        Assert.Equal(1L, watch.LastGood);
        watch.Saved(2, 1.1);
        watch.Observe(300, 2.0);        // the loss on checkpoint-2's weights spiked
        Assert.False(watch.LastStepInRange);
        Assert.Equal(1L, watch.LastGood);
        watch.Saved(3, 1.1);                  // made by an out-of-range step
        watch.Observe(2.8, 2.0);
        Assert.Equal(1L, watch.LastGood);
        watch.Saved(4, 1.1);
        watch.Observe(2.7, 50.0);       // gradient norm 25× its median
        Assert.Equal(1L, watch.LastGood);
        watch.Saved(5, 1.1);
        watch.Observe(2.7, 2.0);
        Assert.Equal(1L, watch.LastGood);
        watch.Saved(6, 1.1);
        watch.Observe(2.6, 2.0);
        Assert.Equal(6L, watch.LastGood);
        watch.Saved(7, 11);              // weights grown past 10× their starting magnitude
        watch.Observe(2.6, 2.0);
        Assert.Equal(6L, watch.LastGood);
    }

    [Fact]
    public void WatchCarriesItsHistoryAcrossAResume()
    {
        var state = new TrainerState { GlobalStep = 8, LastGoodStep = 6, StepInRange = true, RecentLosses = [3, 3, 3], RecentGradNorms = [1, 1, 1], StartMaxAbsWeight = 1 };
        var spiked = new DivergenceWatch(state, 100);
        Assert.Equal(1, spiked.StartMaxAbsWeight);
        spiked.Observe(31, 1);
        Assert.Equal(6L, spiked.LastGood);
        var fine = new DivergenceWatch(state, 100);
        fine.Observe(3, 1);
        Assert.Equal(8L, fine.LastGood);
    }

    private static float MaxAbs(string checkpoint) =>
        SafetensorsCheckpoint.Load(checkpoint).Values.Max(t => t.abs().max().item<float>());
}
