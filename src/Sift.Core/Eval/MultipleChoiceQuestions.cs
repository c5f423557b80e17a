using System.Text.Json;
using Sift.Data;
using Sift.Data.Sources;

namespace Sift.Eval;

/// <summary>One multiple-choice question: its choices and the index of the right one.</summary>
/// <param name="Subject">MMLU's subject (e.g. "high_school_biology"); the mmlu prompt names it in its first line.</param>
/// <param name="Source">FILE:LINE, for messages.</param>
public sealed record MultipleChoiceQuestion(string Id, string Question, IReadOnlyList<string> Choices, int Answer, string? Subject, string Source);

/// <summary>
/// Reads a multiple-choice JSONL file, one question per line:
/// <c>{"id": "q1", "question": "...", "choices": ["...", "..."], "answer": 2, "subject": "anatomy"}</c>.
/// "answer" is the 0-based index of the right choice or its letter ("A" is the first choice); "id"
/// (a string or number, unique; default: the line number) and "subject" are optional. MMLU
/// (question, subject, choices, answer) exported to JSONL reads as it is; for MedQA put the options
/// in a list and the answer letter in "answer".
/// </summary>
public static class MultipleChoiceQuestions
{
    public const string Layout = "{\"id\", \"question\", \"choices\": [at least 2 strings], \"answer\": index or letter, \"subject\" (optional)}";

    public static List<MultipleChoiceQuestion> Read(string path)
    {
        if (!File.Exists(path)) throw new SiftException($"{path}: multiple-choice file not found");
        var questions = new List<MultipleChoiceQuestion>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            var source = $"{path}:{lineNumber}";
            var question = Parse(line, source, lineNumber);
            if (!ids.Add(question.Id)) throw new SiftException($"{source}: id '{question.Id}' appears twice; ids must be unique");
            questions.Add(question);
        }
        if (questions.Count == 0) throw new SiftException($"{path}: no questions in the file; each line must be one object {Layout}");
        return questions;
    }

    private static MultipleChoiceQuestion Parse(string line, string source, int lineNumber)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(line);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new SiftException($"{source}: malformed JSON ({JsonErrors.Clean(e.Message)}); each line must be one object {Layout}");
        }
        if (root.ValueKind != JsonValueKind.Object) throw new SiftException($"{source}: expected a JSON object {Layout}");

        var id = root.TryGetProperty("id", out var idValue) && idValue.ValueKind != JsonValueKind.Null
            ? idValue.ValueKind is JsonValueKind.String or JsonValueKind.Number ? idValue.ToString() : throw new SiftException($"{source}: field 'id' must be a string or a number")
            : lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var question = root.TryGetProperty("question", out var q) && q.ValueKind == JsonValueKind.String && q.GetString()!.Trim().Length > 0
            ? q.GetString()! : throw new SiftException($"{source}: field 'question' must be a non-empty string");
        if (!root.TryGetProperty("choices", out var c) || c.ValueKind != JsonValueKind.Array)
            throw new SiftException($"{source}: field 'choices' must be an array of the answer texts");
        var choices = c.EnumerateArray().Select((e, i) => e.ValueKind == JsonValueKind.String && e.GetString()!.Length > 0
            ? e.GetString()! : throw new SiftException($"{source}: choices[{i}] must be a non-empty string (acc_norm divides by its length)")).ToList();
        if (choices.Count < 2) throw new SiftException($"{source}: 'choices' has {choices.Count} entries; a question needs at least 2");
        if (!root.TryGetProperty("answer", out var a)) throw new SiftException($"{source}: field 'answer' is missing; give the right choice's index (0-based) or letter");
        int answer = Answer(a, choices.Count, source);
        string? subject = root.TryGetProperty("subject", out var s) && s.ValueKind != JsonValueKind.Null
            ? s.ValueKind == JsonValueKind.String ? s.GetString() : throw new SiftException($"{source}: field 'subject' must be a string")
            : null;
        return new MultipleChoiceQuestion(id, question, choices, answer, subject, source);
    }

    private static int Answer(JsonElement a, int count, string source)
    {
        string last = ((char)('A' + Math.Min(count, 26) - 1)).ToString();
        if (a.ValueKind == JsonValueKind.Number)
            return a.TryGetInt32(out var index) && index >= 0 && index < count ? index
                : throw new SiftException($"{source}: 'answer' is {a}, but the {count} choices have indices 0 to {count - 1}");
        if (a.ValueKind == JsonValueKind.String && a.GetString() is { Length: 1 } letter && letter[0] is >= 'A' and <= 'Z')
            return letter[0] - 'A' < count ? letter[0] - 'A'
                : throw new SiftException($"{source}: 'answer' is \"{letter}\", but the {count} choices have letters A to {last}");
        throw new SiftException($"{source}: 'answer' must be the right choice's index (0 to {count - 1}) or letter (A to {last}), got {a.GetRawText()}");
    }
}
