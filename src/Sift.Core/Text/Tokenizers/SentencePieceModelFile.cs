namespace Sift.Text.Tokenizers;

/// <summary>SentencePiece's piece types, numbered as in sentencepiece_model.proto.</summary>
internal enum SentencePieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

/// <summary>
/// The parts of a tokenizer.model (a protobuf ModelProto) that BPE encoding needs, with the
/// proto's defaults for fields the file leaves out.
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
        catch (FormatException e)
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

    private void ReadModelProto(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtobufReader(bytes);
        while (reader.NextField(out int field))
        {
            switch (field)
            {
                case 1: ReadPiece(reader.ReadBytes()); break;
                case 2: ReadTrainerSpec(reader.ReadBytes()); break;
                case 3: ReadNormalizerSpec(reader.ReadBytes()); break;
                default: reader.SkipField(); break;
            }
        }
    }

    private void ReadPiece(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtobufReader(bytes);
        string piece = "";
        float score = 0;
        var type = SentencePieceType.Normal;
        while (reader.NextField(out int field))
        {
            switch (field)
            {
                case 1: piece = reader.ReadString(); break;
                case 2: score = reader.ReadFloat(); break;
                case 3:
                    int value = reader.ReadInt32();
                    type = Enum.IsDefined((SentencePieceType)value) ? (SentencePieceType)value : throw new FormatException($"piece {Pieces.Count} has unknown type {value}");
                    break;
                default: reader.SkipField(); break;
            }
        }
        Pieces.Add(piece);
        Scores.Add(score);
        Types.Add(type);
    }

    private void ReadTrainerSpec(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtobufReader(bytes);
        while (reader.NextField(out int field))
        {
            switch (field)
            {
                case 3: ModelType = reader.ReadInt32(); break;
                case 24: TreatWhitespaceAsSuffix = reader.ReadBool(); break;
                case 35: ByteFallback = reader.ReadBool(); break;
                case 40: UnkId = reader.ReadInt32(); break;
                case 41: BosId = reader.ReadInt32(); break;
                case 42: EosId = reader.ReadInt32(); break;
                case 45: UnkPiece = reader.ReadString(); break;
                case 46: BosPiece = reader.ReadString(); break;
                case 47: EosPiece = reader.ReadString(); break;
                default: reader.SkipField(); break;
            }
        }
    }

    private void ReadNormalizerSpec(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtobufReader(bytes);
        while (reader.NextField(out int field))
        {
            switch (field)
            {
                case 1: NormalizerName = reader.ReadString(); break;
                case 3: AddDummyPrefix = reader.ReadBool(); break;
                case 4: RemoveExtraWhitespaces = reader.ReadBool(); break;
                case 5: EscapeWhitespaces = reader.ReadBool(); break;
                default: reader.SkipField(); break;
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
