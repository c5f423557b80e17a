namespace Sift.Training.Recipes.Schema;

/// <summary>When the resolved recipe writes a key (keys added after runs existed are written only when used, so older runs keep their resolved recipe and resume settings).</summary>
public enum WritePolicy
{
    Always,
    /// <summary>Only when it has a value (not null).</summary>
    WhenSet,
    /// <summary>Only when its value is not the default.</summary>
    WhenNotDefault,
}
