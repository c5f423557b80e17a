using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Sift.Data;
using Sift.Training.Recipes.Schema;

namespace Sift.Training.Recipes;

/// <summary>
/// What a checkpoint must share with a run that resumes it (<see cref="ResumeSettings"/>): each recipe key
/// whose <see cref="ResumeRole"/> is not Ignored, valued as the resolved recipe writes it, and "data.examples",
/// a SHA-256 of the token data. Both are spelled as in checkpoints since per-key settings were recorded, so
/// those checkpoints are compared key by key as before.
/// </summary>
public static class ResumeSignature
{
    public const string DataKey = "data.examples";

    public static ResumeSettings Of(TrainRecipe recipe, IReadOnlyList<TokenizedExample> train)
    {
        var values = Settings(recipe);
        values[DataKey] = DataHash(train);
        var adjustable = recipe.Keys.Where(k => k.Resume == ResumeRole.Adjustable).Select(k => k.Path).ToHashSet(StringComparer.Ordinal);
        return new ResumeSettings(values, adjustable);
    }

    /// <summary>The recipe's settings by key, without the token data.</summary>
    public static Dictionary<string, string> Settings(TrainRecipe recipe)
    {
        bool loggingShapesUpdates = recipe.Objective.Definition.LoggingShapesUpdates(recipe);
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in recipe.Keys)
        {
            bool matters = key.Resume switch
            {
                ResumeRole.Ignored => false,
                ResumeRole.MatchWhenLoggingShapesUpdates => loggingShapesUpdates,
                _ => true,
            };
            if (matters && key.Written(recipe) is { } value) settings[key.Path] = value;
        }
        return settings;
    }

    /// <summary>
    /// SHA-256 (hex) of every example as the UTF-8 line "ID:T1,T2,...:MASK\n" (MASK one '1' or '0' per token:
    /// trained or not), streamed through the hash a line at a time.
    /// </summary>
    public static string DataHash(IEnumerable<TokenizedExample> examples)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var line = new ArrayBufferWriter<byte>();
        foreach (var e in examples)
        {
            line.ResetWrittenCount();
            Encoding.UTF8.GetBytes(e.Id, line);
            Byte(line, ':');
            for (int i = 0; i < e.Tokens.Length; i++)
            {
                if (i > 0) Byte(line, ',');
                Utf8Formatter.TryFormat(e.Tokens[i], line.GetSpan(11), out int written);
                line.Advance(written);
            }
            Byte(line, ':');
            foreach (var trained in e.Trained) Byte(line, trained ? '1' : '0');
            Byte(line, '\n');
            sha.AppendData(line.WrittenSpan);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static void Byte(ArrayBufferWriter<byte> line, char ascii)
    {
        line.GetSpan(1)[0] = (byte)ascii;
        line.Advance(1);
    }
}
