namespace Sift.Training.Recipes.Schema;

/// <summary>How a recipe key takes part in resuming a checkpoint (see <see cref="ResumeSettings"/>).</summary>
public enum ResumeRole
{
    /// <summary>Must equal the checkpoint's value: it decides the model, or which examples are seen in which order.</summary>
    Match,

    /// <summary>May change on resume (the optimizer's and the learning-rate schedule's settings, which the advice after a divergence asks to change).</summary>
    Adjustable,

    /// <summary>Not part of what a run computes: where and how often outputs are written.</summary>
    Ignored,

    /// <summary>
    /// Must match only when the objective's updates depend on which steps are logged (SFTMix's gradient
    /// diagnostics run on logged steps, and a diagnostic step's update differs from a plain one in float rounding).
    /// </summary>
    MatchWhenLoggingShapesUpdates,
}
