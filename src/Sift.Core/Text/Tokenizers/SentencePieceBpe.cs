using System.Text;

namespace Sift.Text.Tokenizers;

/// <summary>
/// SentencePiece's BPE encoding of normalized text, as sentencepiece's bpe_model.cc does it (without
/// BPE-dropout), followed by SentencePieceProcessor's id step, so the ids equal spm_encode's:
/// <list type="number">
/// <item>the text is split into characters (user-defined pieces whole; they never merge);</item>
/// <item>the adjacent pair whose concatenation is a piece with the highest score merges, the leftmost
/// pair on a tie; queue entries whose symbols have changed since are skipped;</item>
/// <item>a symbol that is an UNUSED piece is split back the way it was built;</item>
/// <item>a symbol that is no piece becomes one &lt;0xAB&gt; piece per UTF-8 byte with byte fallback,
/// otherwise &lt;unk&gt;, and a run of unknown symbols gives one &lt;unk&gt;.</item>
/// </list>
/// </summary>
internal sealed class SentencePieceBpe(SentencePieceVocabulary vocabulary)
{
    [ThreadStatic] private static Scratch? t_scratch;

    /// <summary>Appends the ids of <paramref name="normalized"/> (spaces already written as "▁", dummy prefix included).</summary>
    public void Encode(ReadOnlySpan<char> normalized, List<int> ids)
    {
        if (normalized.IsEmpty) return;
        var scratch = normalized.Length <= Scratch.KeptCapacity ? t_scratch ??= new Scratch() : new Scratch();
        scratch.Reset(normalized.Length);
        new Run(vocabulary, normalized, scratch).Encode(ids);
    }

    /// <summary>A candidate merge of the adjacent symbols Left and Right, whose text had Length chars when it was queued.</summary>
    private readonly record struct Pair(int Left, int Right, int Length);

    /// <summary>Highest score first; on equal scores the leftmost pair.</summary>
    private sealed class MergeOrder : IComparer<(float Score, int Left)>
    {
        public static readonly MergeOrder Instance = new();
        public int Compare((float Score, int Left) a, (float Score, int Left) b) =>
            a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Left.CompareTo(b.Left);
    }

    /// <summary>Per-thread buffers, so encoding allocates little. Symbols form a linked list over the text; a merged-away symbol has length 0.</summary>
    private sealed class Scratch
    {
        /// <summary>Buffers for longer texts are not kept, so one huge document does not pin memory per thread.</summary>
        public const int KeptCapacity = 1 << 16;

        public int[] Start = [], Length = [], Prev = [], Next = [];
        public bool[] Frozen = [];
        public readonly PriorityQueue<Pair, (float Score, int Left)> Queue = new(MergeOrder.Instance);

        /// <summary>How each UNUSED piece queued for a merge was built (piece → left, right), by text as spm keeps it.</summary>
        public Dictionary<string, (string Left, string Right)>? Unmerge;

        public void Reset(int capacity)
        {
            if (Start.Length < capacity)
            {
                int size = Math.Max(capacity, Start.Length * 2);
                (Start, Length, Prev, Next, Frozen) = (new int[size], new int[size], new int[size], new int[size], new bool[size]);
            }
            Queue.Clear();
            Unmerge?.Clear();
        }
    }

    private readonly ref struct Run(SentencePieceVocabulary vocabulary, ReadOnlySpan<char> text, Scratch scratch)
    {
        private readonly ReadOnlySpan<char> _text = text;

        public void Encode(List<int> ids)
        {
            int count = SplitIntoCharacters();
            for (int i = 1; i < count; i++) QueueIfPiece(i - 1, i);
            MergeWhilePossible();

            bool previousUnknown = false;
            for (int s = 0; s != -1; s = scratch.Next[s])
                EmitResegmented(_text.Slice(scratch.Start[s], scratch.Length[s]), ids, ref previousUnknown);
        }

        private int SplitIntoCharacters()
        {
            int count = 0;
            for (int i = 0; i < _text.Length; count++)
            {
                int length = vocabulary.UserDefined?.MatchAt(_text[i..])?.Length ?? 0;
                scratch.Frozen[count] = length > 0;
                if (length == 0) length = char.IsHighSurrogate(_text[i]) && i + 1 < _text.Length && char.IsLowSurrogate(_text[i + 1]) ? 2 : 1;
                scratch.Start[count] = i;
                scratch.Length[count] = length;
                scratch.Prev[count] = count - 1;
                scratch.Next[count] = count + 1;
                i += length;
            }
            scratch.Next[count - 1] = -1;
            return count;
        }

        private void QueueIfPiece(int left, int right)
        {
            if (left < 0 || right < 0 || scratch.Frozen[left] || scratch.Frozen[right]) return;
            int length = scratch.Length[left] + scratch.Length[right];
            var piece = _text.Slice(scratch.Start[left], length);
            if (!vocabulary.TryGetMergeable(piece, out int id)) return;
            scratch.Queue.Enqueue(new Pair(left, right, length), (vocabulary.Score(id), left));
            if (vocabulary.Type(id) == SentencePieceType.Unused)
                (scratch.Unmerge ??= new(StringComparer.Ordinal))[piece.ToString()] = (_text.Slice(scratch.Start[left], scratch.Length[left]).ToString(), _text.Slice(scratch.Start[right], scratch.Length[right]).ToString());
        }

        private void MergeWhilePossible()
        {
            var (length, prev, next) = (scratch.Length, scratch.Prev, scratch.Next);
            while (scratch.Queue.TryDequeue(out var pair, out _))
            {
                var (left, right) = (pair.Left, pair.Right);
                // Stale: since the pair was queued, one of its symbols was merged away or has grown.
                if (length[left] == 0 || length[right] == 0 || length[left] + length[right] != pair.Length) continue;

                length[left] = pair.Length;
                length[right] = 0;
                next[left] = next[right];
                if (next[right] >= 0) prev[next[right]] = left;
                QueueIfPiece(prev[left], left);
                QueueIfPiece(left, next[left]);
            }
        }

        private void EmitResegmented(ReadOnlySpan<char> piece, List<int> ids, ref bool previousUnknown)
        {
            int id = vocabulary.PieceToId(piece);
            if (vocabulary.Type(id) == SentencePieceType.Unused && scratch.Unmerge != null &&
                scratch.Unmerge.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(piece, out var parts))
            {
                EmitResegmented(parts.Left, ids, ref previousUnknown);
                EmitResegmented(parts.Right, ids, ref previousUnknown);
                return;
            }

            bool unknown = vocabulary.Type(id) == SentencePieceType.Unknown;
            if (unknown && vocabulary.ByteFallback)
            {
                // Every merge gives a piece, so an unknown symbol is one character: a few bytes.
                Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(piece.Length)];
                foreach (byte b in utf8[..Encoding.UTF8.GetBytes(piece, utf8)]) ids.Add(vocabulary.ByteId(b));
            }
            else if (!(unknown && previousUnknown)) ids.Add(id);
            previousUnknown = unknown;
        }
    }
}
