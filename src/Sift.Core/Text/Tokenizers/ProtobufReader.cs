using System.Buffers.Binary;
using System.Text;

namespace Sift.Text.Tokenizers;

/// <summary>
/// Reads protobuf wire format field by field, without generated code. Every read checks the bounds
/// and moves forward, so a truncated or hostile message ends in a <see cref="FormatException"/>.
/// </summary>
internal ref struct ProtobufReader(ReadOnlySpan<byte> message)
{
    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, Fixed32 = 5;

    private readonly ReadOnlySpan<byte> _message = message;
    private int _position;
    private int _wireType;

    /// <summary>Moves to the next field and gives its number; false at the end of the message.</summary>
    public bool NextField(out int field)
    {
        field = 0;
        if (_position >= _message.Length) return false;
        ulong tag = ReadVarint();
        _wireType = (int)(tag & 7);
        if (tag >> 3 is 0 or > int.MaxValue) throw new FormatException($"invalid field number at byte {_position}");
        field = (int)(tag >> 3);
        return true;
    }

    private ulong ReadVarintField() { Expect(Varint); return ReadVarint(); }

    /// <summary>An int32 or enum field (negative values are written sign-extended to 64 bits).</summary>
    public int ReadInt32() => (int)ReadVarintField();

    public bool ReadBool() => ReadVarintField() != 0;

    public float ReadFloat()
    {
        Expect(Fixed32);
        return BinaryPrimitives.ReadSingleLittleEndian(Take(4));
    }

    public ReadOnlySpan<byte> ReadBytes()
    {
        Expect(LengthDelimited);
        ulong length = ReadVarint();
        if (length > (ulong)(_message.Length - _position)) throw Truncated();
        return Take((int)length);
    }

    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    public void SkipField()
    {
        switch (_wireType)
        {
            case Varint: ReadVarint(); break;
            case Fixed64: Take(8); break;
            case LengthDelimited: ReadBytes(); break;
            case Fixed32: Take(4); break;
            default: throw new FormatException($"unsupported wire type {_wireType} before byte {_position}");
        }
    }

    private void Expect(int wireType)
    {
        if (_wireType != wireType) throw new FormatException($"wire type {_wireType} where {wireType} was expected, before byte {_position}");
    }

    private ulong ReadVarint()
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= _message.Length) throw Truncated();
            byte b = _message[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return value;
        }
        throw new FormatException($"varint longer than 10 bytes before byte {_position}");
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > _message.Length - _position) throw Truncated();
        var span = _message.Slice(_position, count);
        _position += count;
        return span;
    }

    private readonly FormatException Truncated() => new($"message ends inside a field (at byte {_position} of {_message.Length})");
}
