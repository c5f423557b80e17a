using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sift.Training;

/// <summary>
/// Where a run stands, saved in every checkpoint as trainer_state.json. The data order and every
/// random draw are functions of (seed, epoch, step), so the global step is the whole data position.
/// </summary>
public sealed record TrainerState
{
    [JsonPropertyName("global_step")] public long GlobalStep { get; init; }
    [JsonPropertyName("epoch")] public int Epoch { get; init; }
    [JsonPropertyName("total_steps")] public long TotalSteps { get; init; }
    [JsonPropertyName("steps_per_epoch")] public long StepsPerEpoch { get; init; }
    [JsonPropertyName("objective")] public string Objective { get; init; } = "";
    [JsonPropertyName("last_loss")] public double LastLoss { get; init; }
    [JsonPropertyName("tokens_seen")] public long TokensSeen { get; init; }

    /// <summary>The run's settings by recipe key, to name what differs on resume (<see cref="ResumeSettings"/>; absent in checkpoints of versions before it, which cannot be resumed).</summary>
    [JsonPropertyName("settings")] public Dictionary<string, string>? Settings { get; init; }

    /// <summary>Whether this step's loss and gradient norm were in range (see <see cref="DivergenceWatch"/>).</summary>
    [JsonPropertyName("step_in_range")] public bool StepInRange { get; init; } = true;

    /// <summary>The newest earlier checkpoint known to be good when this one was saved.</summary>
    [JsonPropertyName("last_good_step")] public long? LastGoodStep { get; init; }

    /// <summary>The largest weight magnitude when the run started (see <see cref="DivergenceWatch"/>).</summary>
    [JsonPropertyName("start_max_abs_weight")] public double? StartMaxAbsWeight { get; init; }

    [JsonPropertyName("recent_losses")] public double[]? RecentLosses { get; init; }
    [JsonPropertyName("recent_grad_norms")] public double[]? RecentGradNorms { get; init; }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true };

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static TrainerState Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(path))
                   ?? throw new SiftException($"{path}: empty trainer state");
        }
        catch (JsonException e)
        {
            throw new SiftException($"{path}: not a valid trainer_state.json ({e.Message}); the checkpoint is damaged, resume from an older one", e);
        }
    }
}
