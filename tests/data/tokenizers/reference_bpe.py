#!/usr/bin/python3
"""Independent reference for byte-level BPE, used to make the fixtures that Sift's C# tests compare against.

Pure Python (plus Debian's python3-regex for \\p{L}-style patterns); shares no code with
Microsoft.ML.Tokenizers. It reads a Hugging Face tokenizer.json and encodes text the way the
`tokenizers` library does for byte-level BPE: added tokens are cut out first (leftmost, longest),
the rest is normalized (NFC if asked), split by the pre-tokenizer chain (Split / ByteLevel regex /
Digits), mapped to GPT-2's byte alphabet, and merged greedily, lowest merge rank first.

  reference_bpe.py qwen-style GPT2_TOKENIZER_JSON OUT_DIR N_MERGES
      derive a small Qwen2-style tokenizer.json (Split regex + ByteLevel without regex, NFC,
      merges in the [a, b] array form, chat added tokens) from GPT-2's first N merges
  reference_bpe.py encode TOKENIZER_JSON TEXTS_JSON OUT_JSON
      write {"cases": [{"text": ..., "ids": [...]}]} for every text in TEXTS_JSON (a JSON list)
"""
import json
import sys
import unicodedata

import regex

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
QWEN2_PATTERN = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def bytes_to_unicode():
    keep = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTE_CHAR = bytes_to_unicode()


class Reference:
    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            spec = json.load(f)
        model = spec["model"]
        assert model.get("type", "BPE") == "BPE"
        self.vocab = model["vocab"]
        self.ranks = {}
        for i, m in enumerate(model["merges"]):
            a, b = m.split(" ") if isinstance(m, str) else m
            self.ranks[(a, b)] = i
        self.ignore_merges = bool(model.get("ignore_merges", False))
        self.added = {t["content"]: t["id"] for t in spec.get("added_tokens", [])}
        self.nfc = self._nfc(spec.get("normalizer"))
        self.steps = []
        self._steps(spec.get("pre_tokenizer"))

    def _nfc(self, n):
        if n is None:
            return False
        if n["type"] == "NFC":
            return True
        if n["type"] == "Sequence":
            return any(self._nfc(x) for x in n["normalizers"])
        raise ValueError("normalizer " + n["type"])

    def _steps(self, p):
        if p is None:
            return
        t = p["type"]
        if t == "Sequence":
            for x in p["pretokenizers"]:
                self._steps(x)
        elif t == "ByteLevel":
            if p.get("use_regex", True):
                self.steps.append(("isolate", regex.compile(GPT2_PATTERN)))
        elif t == "Split":
            assert p.get("behavior", "Isolated") == "Isolated" and not p.get("invert", False)
            self.steps.append(("isolate", regex.compile(p["pattern"]["Regex"])))
        elif t == "Digits":
            self.steps.append(("digits", p.get("individual_digits", False)))
        else:
            raise ValueError("pre_tokenizer " + t)

    def split_added(self, text):
        """[(piece, is_added)] with added tokens cut out, leftmost then longest."""
        out, plain, i = [], 0, 0
        by_len = sorted(self.added, key=len, reverse=True)
        while i < len(text):
            hit = next((t for t in by_len if text.startswith(t, i)), None)
            if hit is None:
                i += 1
                continue
            if i > plain:
                out.append((text[plain:i], False))
            out.append((hit, True))
            i += len(hit)
            plain = i
        if plain < len(text):
            out.append((text[plain:], False))
        return out

    def pre_tokenize(self, text):
        pieces = [text]
        for kind, arg in self.steps:
            nxt = []
            for p in pieces:
                if kind == "isolate":
                    at = 0
                    for m in arg.finditer(p):
                        if m.end() == m.start():
                            continue
                        if m.start() > at:
                            nxt.append(p[at:m.start()])
                        nxt.append(m.group())
                        at = m.end()
                    if at < len(p):
                        nxt.append(p[at:])
                else:
                    nxt.extend(digit_runs(p, arg))
            pieces = nxt
        return pieces

    def bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            best = min(range(len(parts) - 1), key=lambda i: self.ranks.get((parts[i], parts[i + 1]), float("inf")))
            if (parts[best], parts[best + 1]) not in self.ranks:
                break
            pair = (parts[best], parts[best + 1])
            merged, i = [], 0
            while i < len(parts):  # merge every occurrence of the best pair, left to right
                if i < len(parts) - 1 and (parts[i], parts[i + 1]) == pair:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return [self.vocab[p] for p in parts]

    def encode(self, text):
        ids = []
        for segment, is_added in self.split_added(text):
            if is_added:
                ids.append(self.added[segment])
                continue
            if self.nfc:
                segment = unicodedata.normalize("NFC", segment)
            for piece in self.pre_tokenize(segment):
                word = "".join(BYTE_CHAR[b] for b in piece.encode("utf-8"))
                if self.ignore_merges and word in self.vocab:
                    ids.append(self.vocab[word])
                else:
                    ids.extend(self.bpe(word))
        return ids


def digit_runs(p, individually):
    out, i = [], 0
    while i < len(p):
        is_digit = unicodedata.category(p[i]) in ("Nd", "Nl", "No")
        j = i + 1
        if not (is_digit and individually):
            while j < len(p) and (unicodedata.category(p[j]) in ("Nd", "Nl", "No")) == is_digit:
                j += 1
        out.append(p[i:j])
        i = j
    return out


def qwen_style(gpt2_path, out_dir, n_merges):
    with open(gpt2_path, encoding="utf-8") as f:
        gpt2 = json.load(f)
    merges = [m.split(" ") for m in gpt2["model"]["merges"][:n_merges]]
    vocab = {BYTE_CHAR[b]: b for b in range(256)}
    kept = []
    for a, b in merges:
        if a in vocab and b in vocab and a + b not in vocab:
            vocab[a + b] = len(vocab)
            kept.append([a, b])
    base = len(vocab)
    added = [
        {"id": base, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": base + 1, "content": "<|im_start|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": base + 2, "content": "<|im_end|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        {"id": base + 3, "content": "<tool_call>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": False},
    ]
    spec = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN2_PATTERN}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "", "end_of_word_suffix": "",
                  "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": kept},
    }
    config = {"bos_token": None, "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "add_bos_token": False,
              "added_tokens_decoder": {str(t["id"]): {"content": t["content"], "special": t["special"]} for t in added}}
    with open(f"{out_dir}/tokenizer.json", "w", encoding="utf-8") as f:
        json.dump(spec, f, ensure_ascii=False, indent=1)
    with open(f"{out_dir}/tokenizer_config.json", "w", encoding="utf-8") as f:
        json.dump(config, f, ensure_ascii=False, indent=1)


def main():
    if sys.argv[1] == "qwen-style":
        qwen_style(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "encode":
        ref = Reference(sys.argv[2])
        with open(sys.argv[3], encoding="utf-8") as f:
            texts = json.load(f)
        cases = [{"text": t, "ids": ref.encode(t)} for t in texts]
        with open(sys.argv[4], "w", encoding="utf-8") as f:
            json.dump({"cases": cases}, f, ensure_ascii=False, indent=1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
