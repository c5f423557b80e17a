using Google.Protobuf;

namespace Sift.Text.Tokenizers;

/// <summary>SentencePiece's piece types, numbered as in sentencepiece_model.proto.</summary>
internal enum SentencePieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/// <summary>
/// The parts of a tokenizer.model (a protobuf ModelProto) that BPE encoding needs, with the
/// proto's defaults for fields the file leaves out. Read field by field with Google.Protobuf's
/// CodedInputStream, which bounds every read, so a damaged file fails instead of reading past its end.
/// </summary>
internal sealed class SentencePieceModelFile
{
    private const int BpeModelType = 2;

    public required string Path { get; init; }
    public List<string> Pieces { get; } = [];
    public List<float> Scores { get; } = [];
    public List<SentencePieceType> Types { get; } = [];

    public int ModelType { get; private set; } = 1;
    public bool ByteFallback { get; private set; }
    public bool TreatWhitespaceAsSuffix { get; private set; }
    public int UnkId { get; private set; }
    public int BosId { get; private set; } = 1;
    public int EosId { get; private set; } = 2;
    public string UnkPiece { get; private set; } = "<unk>";
    public string BosPiece { get; private set; } = "<s>";
    public string EosPiece { get; private set; } = "</s>";

    public string NormalizerName { get; private set; } = "";
    public bool AddDummyPrefix { get; private set; } = true;
    public bool RemoveExtraWhitespaces { get; private set; } = true;
    public bool EscapeWhitespaces { get; private set; } = true;

    /// <summary>Reads the file; a damaged file or a model kind Sift does not encode gives a <see cref="SiftException"/> naming it.</summary>
    public static SentencePieceModelFile Read(string path)
    {
        var model = new SentencePieceModelFile { Path = path };
        try
        {
            model.ReadModelProto(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or FormatException)
        {
            throw new SiftException($"{path}: not a readable SentencePiece model ({e.Message}); restore tokenizer.model from the model's original files.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SiftException($"{path}: cannot be read ({e.Message}).", e);
        }
        model.CheckSupported();
        return model;
    }

    private void ReadModelProto(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: ReadPiece(Message(input, tag)); break;
                case 2: ReadTrainerSpec(Message(input, tag)); break;
                case 3: ReadNormalizerSpec(Message(input, tag)); break;
                default: input.SkipLastField(); break;
            }
        }
    }

    private static CodedInputStream Message(CodedInputStream input, uint tag)
    {
        Expect(tag, WireFormat.WireType.LengthDelimited);
        return input.ReadBytes().CreateCodedInput();
    }

    /// <summary>CodedInputStream reads what it is asked for; a field of another wire type is a damaged file.</summary>
    private static void Expect(uint tag, WireFormat.WireType type)
    {
        if (WireFormat.GetTagWireType(tag) != type)
            throw new FormatException($"field {WireFormat.GetTagFieldNumber(tag)} has wire type {WireFormat.GetTagWireType(tag)} where {type} was expected");
    }

    private static int Int32(CodedInputStream input, uint tag) { Expect(tag, WireFormat.WireType.Varint); return input.ReadInt32(); }
    private static bool Bool(CodedInputStream input, uint tag) { Expect(tag, WireFormat.WireType.Varint); return input.ReadBool(); }
    private static string Text(CodedInputStream input, uint tag) { Expect(tag, WireFormat.WireType.LengthDelimited); return input.ReadString(); }

    private void ReadPiece(CodedInputStream input)
    {
        string piece = "";
        float score = 0;
        var type = SentencePieceType.Normal;
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: piece = Text(input, tag); break;
                case 2: Expect(tag, WireFormat.WireType.Fixed32); score = input.ReadFloat(); break;
                case 3:
                    int value = Int32(input, tag);
                    type = Enum.IsDefined((SentencePieceType)value) ? (SentencePieceType)value : throw new FormatException($"piece {Pieces.Count} has unknown type {value}");
                    break;
                default: input.SkipLastField(); break;
            }
        }
        Pieces.Add(piece);
        Scores.Add(score);
        Types.Add(type);
    }

    private void ReadTrainerSpec(CodedInputStream input)
    {
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 3: ModelType = Int32(input, tag); break;
                case 24: TreatWhitespaceAsSuffix = Bool(input, tag); break;
                case 35: ByteFallback = Bool(input, tag); break;
                case 40: UnkId = Int32(input, tag); break;
                case 41: BosId = Int32(input, tag); break;
                case 42: EosId = Int32(input, tag); break;
                case 45: UnkPiece = Text(input, tag); break;
                case 46: BosPiece = Text(input, tag); break;
                case 47: EosPiece = Text(input, tag); break;
                default: input.SkipLastField(); break;
            }
        }
    }

    private void ReadNormalizerSpec(CodedInputStream input)
    {
        for (uint tag; (tag = input.ReadTag()) != 0;)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: NormalizerName = Text(input, tag); break;
                case 3: AddDummyPrefix = Bool(input, tag); break;
                case 4: RemoveExtraWhitespaces = Bool(input, tag); break;
                case 5: EscapeWhitespaces = Bool(input, tag); break;
                default: input.SkipLastField(); break;
            }
        }
    }

    private void CheckSupported()
    {
        string? problem =
            ModelType != BpeModelType ? $"model type {ModelType} is not BPE (2); Sift encodes SentencePiece BPE models" :
            NormalizerName is not ("" or "identity") ? $"normalization \"{NormalizerName}\" is not supported, only identity" :
            TreatWhitespaceAsSuffix ? "treat_whitespace_as_suffix is not supported" :
            Pieces.Count == 0 ? "it holds no pieces" :
            Pieces.IndexOf("") is >= 0 and var empty ? $"piece {empty} is empty" :
            null;
        if (problem != null)
            throw new SiftException($"{Path}: {problem}; restore tokenizer.model from the model's original files.");
    }
}
