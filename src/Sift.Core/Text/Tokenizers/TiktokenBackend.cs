using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Sift.Text.Tokenizers;

/// <summary>A tiktoken rank file (Llama 3's original/tokenizer.model) through TiktokenTokenizer, with Llama 3's pattern.</summary>
internal sealed class TiktokenBackend : TokenizerBackend
{
    private readonly TiktokenTokenizer _tokenizer;
    private readonly byte[]?[] _tokenBytes;
    private readonly Dictionary<string, int> _special;
    private readonly string _file;

    private TiktokenBackend(TiktokenTokenizer tokenizer, byte[]?[] tokenBytes, Dictionary<string, int> special, string file)
    {
        _tokenizer = tokenizer;
        _tokenBytes = tokenBytes;
        _special = special;
        _file = file;
    }

    /// <summary>Whether the file is a tiktoken rank file (text lines "base64 rank") rather than a SentencePiece protobuf.</summary>
    public static bool LooksLikeRankFile(string file)
    {
        using var reader = new StreamReader(file, Encoding.UTF8);
        var buffer = new char[512];
        int n = reader.ReadBlock(buffer, 0, buffer.Length);
        var firstLine = new string(buffer, 0, n).Split('\n')[0].TrimEnd('\r');
        var parts = firstLine.Split(' ');
        return parts.Length == 2 && int.TryParse(parts[1], out _) && parts[0].Length > 0 &&
               parts[0].All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=');
    }

    /// <param name="specialOverrides">names from tokenizer_config.json's added_tokens_decoder (Llama 3.1 renames some reserved tokens).</param>
    public static TiktokenBackend Load(string file, IReadOnlyDictionary<int, string> specialOverrides)
    {
        var tokenBytes = ReadRanks(file);
        int baseCount = tokenBytes.Count;
        var special = new Dictionary<string, int>(StringComparer.Ordinal);
        var specialById = new Dictionary<int, string>();
        for (int i = 0; i < Llama3Tokens.SpecialTokens.Count; i++) specialById[baseCount + i] = Llama3Tokens.SpecialTokens[i];
        foreach (var (id, content) in specialOverrides) if (id >= baseCount) specialById[id] = content;
        foreach (var (id, content) in specialById) special[content] = id;

        TiktokenTokenizer tokenizer;
        using (var stream = File.OpenRead(file))
            tokenizer = TiktokenTokenizer.Create(stream,
                new RegexPreTokenizer(new Regex(Llama3Tokens.Pattern, RegexOptions.CultureInvariant), special),
                normalizer: null, special, cacheSize: 8192);

        var bytesById = new byte[]?[Math.Max(baseCount, specialById.Keys.DefaultIfEmpty(0).Max() + 1)];
        foreach (var (id, bytes) in tokenBytes) bytesById[id] = bytes;
        return new TiktokenBackend(tokenizer, bytesById, special, file);
    }

    /// <summary>Reads "base64 rank" lines; ranks are the ids.</summary>
    private static Dictionary<int, byte[]> ReadRanks(string file)
    {
        var result = new Dictionary<int, byte[]>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(file))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var parts = line.Split(' ');
            byte[] bytes;
            try { bytes = parts.Length == 2 ? Convert.FromBase64String(parts[0]) : throw new FormatException(); }
            catch (FormatException)
            {
                throw new SiftException($"{file}: line {lineNumber}: expected \"<base64 token> <rank>\"; the rank file is damaged, get it again from the model's original files.");
            }
            if (!int.TryParse(parts[1], out var rank) || rank < 0 || !result.TryAdd(rank, bytes))
                throw new SiftException($"{file}: line {lineNumber}: rank \"{parts[1]}\" is not a new whole number ≥ 0; the rank file is damaged.");
        }
        if (result.Count == 0) throw new SiftException($"{file}: holds no ranks; the rank file is empty or damaged.");
        return result;
    }

    public override string Description => $"tiktoken rank file {_file} (Llama 3)";
    public override IReadOnlyDictionary<string, int> AddedTokens => _special;
    public override int MaxVocabularyId => _tokenBytes.Length - 1;

    public override int[] EncodeIds(string text) => [.. _tokenizer.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false)];

    /// <summary>Spelled in GPT-2's byte-level alphabet, as Llama 3's tokenizer.json spells its vocabulary.</summary>
    public override string? VocabularyEntry(int id) => TokenBytes(id) is { } bytes ? ByteLevelAlphabet.Encode(bytes) : null;

    public override byte[]? TokenBytes(int id) => id >= 0 && id < _tokenBytes.Length ? _tokenBytes[id] : null;
}
