"""Turning text into token ids: a vocabulary built on the training split only (id 0 pads, 1 is unknown).

``char`` (the default; right for Chinese) and ``word`` split by rule. ``bpe`` and ``wordpiece`` train a
Hugging Face ``tokenizers`` model on the training texts (needs the ``text`` extra).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

__all__ = ["Vocab", "PAD", "UNK", "BOS", "EOS", "tokenize", "TOKENIZERS", "LEARNED"]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)
LEARNED = ("bpe", "wordpiece")
TOKENIZERS = ("char", "word", *LEARNED)


def _train_subwords(texts: Iterable[str], kind: str, size: int, specials: list[str]):
    """A BPE or WordPiece ``tokenizers.Tokenizer`` trained on ``texts``; its ids start with ``specials``."""
    from sizeup._imports import optional_import

    tk = optional_import("tokenizers", extra="text", feature=f"tokenizer = {kind!r}")
    if kind == "bpe":
        tok = tk.Tokenizer(tk.models.BPE(unk_token=UNK))
        trainer = tk.trainers.BpeTrainer(vocab_size=size, special_tokens=specials, show_progress=False)
    else:
        tok = tk.Tokenizer(tk.models.WordPiece(unk_token=UNK))
        tok.decoder = tk.decoders.WordPiece()
        trainer = tk.trainers.WordPieceTrainer(vocab_size=size, special_tokens=specials, show_progress=False)
    tok.normalizer = tk.normalizers.Sequence([tk.normalizers.NFKC(), tk.normalizers.Lowercase()])
    tok.pre_tokenizer = tk.pre_tokenizers.Whitespace()  # CJK runs stay whole, so merges learn words
    tok.train_from_iterator(texts, trainer=trainer)
    return tok


def tokenize(text: str, kind: str) -> list[str]:
    """Characters (the default; right for Chinese) or words and punctuation (lower-cased)."""
    if kind == "char":
        return list(text)
    return _WORD.findall(text.lower())


class Vocab:
    """Token <-> id mapping with the most frequent training tokens; unseen tokens map to ``<unk>``."""

    def __init__(self, tokens: Sequence[str], kind: str, *, subwords: object | None = None) -> None:
        self.itos = list(tokens)
        self.kind = kind
        self.stoi = {t: i for i, t in enumerate(self.itos)}
        self.subwords = subwords  # the trained ``tokenizers.Tokenizer`` for bpe / wordpiece

    @classmethod
    def build(cls, texts: Iterable[str], *, kind: str = "char", max_size: int = 20_000, specials: bool = False) -> Vocab:
        head = [PAD, UNK] + ([BOS, EOS] if specials else [])
        if kind in LEARNED:
            tok = _train_subwords(texts, kind, max_size, head)
            return cls([tok.id_to_token(i) for i in range(tok.get_vocab_size())], kind, subwords=tok)
        counts = Counter(tok for text in texts for tok in tokenize(text, kind))
        common = [t for t, _ in counts.most_common(max_size - len(head)) if t not in head]
        return cls(head + common, kind)

    def __len__(self) -> int:
        return len(self.itos)

    def ids(self, text: str) -> list[int]:
        if self.subwords is not None:
            return self.subwords.encode(text).ids
        unk = self.stoi[UNK]
        return [self.stoi.get(t, unk) for t in tokenize(text, self.kind)]

    def encode(self, texts: Sequence[str], max_length: int, *, bos_eos: bool = False) -> torch.Tensor:
        """Encode, truncate to ``max_length`` and right-pad with 0 -> LongTensor ``[len(texts), max_length]``."""
        out = torch.zeros(len(texts), max_length, dtype=torch.long)
        for row, text in enumerate(texts):
            ids = self.ids(text)
            if bos_eos:
                ids = [self.stoi[BOS], *ids[: max_length - 2], self.stoi[EOS]]
            ids = ids[:max_length]
            out[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out

    def decode(self, ids: Iterable[int]) -> str:
        skip = {0, self.stoi.get(BOS, -1), self.stoi.get(EOS, -1)}
        if self.kind == "wordpiece" and self.subwords is not None:
            return self.subwords.decode([i for i in ids if i not in skip])
        sep = "" if self.kind in ("char", *LEARNED) else " "
        return sep.join(self.itos[i] for i in ids if i not in skip and 0 <= i < len(self.itos))
