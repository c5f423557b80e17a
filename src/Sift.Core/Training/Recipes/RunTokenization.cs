using Sift.Data.Tokenization;
using Sift.Text.Templates;

namespace Sift.Training.Recipes;

/// <summary>
/// How a run tokenized its conversations, as scoring its checkpoints (`sift score confidence --run`) repeats it:
/// data.max_length, data.last_turn_only and the chat template (null: detected from the model folder). A score is
/// over the response tokens, truncated at max_length, whatever the run's data.train_on_prompt and data.over_length.
/// </summary>
public sealed record RunTokenization(int MaxLength, bool LastTurnOnly, string? Template, string Source)
{
    /// <summary>The template a recipe trains with: data.template; pre-training reads plain text unless told otherwise; null detects it.</summary>
    public static string? TemplateOf(TrainRecipe recipe) => recipe.Data.Template ?? (recipe.Pretrain ? "plain" : null);

    public static RunTokenization Of(RunFolder run)
    {
        var recipe = RunRecipe.Read(run);
        return new(recipe.Data.Tokenization.MaxLength, recipe.Data.Tokenization.LastTurnOnly, TemplateOf(recipe), run.RecipePath);
    }

    public TokenizationOptions Options => new() { MaxLength = MaxLength, LastTurnOnly = LastTurnOnly };

    /// <summary>
    /// Refuses a command-line setting (null: not given) that contradicts the run: its checkpoints would be scored
    /// on token sequences they were not trained on. A template is compared as the family it names for <paramref name="modelDir"/>.
    /// </summary>
    public void Check(int? maxLength, bool? lastTurnOnly, string? template, string modelDir)
    {
        const string Fix = "omit the option to score as the run trained, or list the checkpoint folders with --checkpoints to score with other settings";
        if (maxLength is int m && m != MaxLength)
            throw new SiftException($"--max-length {m} contradicts the run: it trained with data.max_length {MaxLength} ({Source}); {Fix}");
        if (lastTurnOnly is bool l && l != LastTurnOnly)
            throw new SiftException($"--last-turn-only {(l ? "true" : "false")} contradicts the run: it trained with data.last_turn_only " +
                                    $"{(LastTurnOnly ? "true" : "false")} ({Source}); {Fix}");
        if (template == null) return;
        string given = ChatTemplate.ForModel(modelDir, template).Name, trained = ChatTemplate.ForModel(modelDir, Template).Name;
        if (given != trained)
            throw new SiftException($"--template {template} contradicts the run: it trained with the {trained} template " +
                                    $"({(Template == null ? $"detected, data.template unset in {Source}" : $"data.template {Template} in {Source}")}); {Fix}");
    }
}
