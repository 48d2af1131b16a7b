"""Turning text into token ids: a vocabulary built on the training split only (id 0 pads, 1 is unknown)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import torch

__all__ = ["Vocab", "PAD", "UNK", "BOS", "EOS", "tokenize"]

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def tokenize(text: str, kind: str) -> list[str]:
    """Characters (the default; right for Chinese) or words and punctuation (lower-cased)."""
    if kind == "char":
        return list(text)
    return _WORD.findall(text.lower())


class Vocab:
    """Token <-> id mapping with the most frequent training tokens; unseen tokens map to ``<unk>``."""

    def __init__(self, tokens: Sequence[str], kind: str) -> None:
        self.itos = list(tokens)
        self.kind = kind
        self.stoi = {t: i for i, t in enumerate(self.itos)}

    @classmethod
    def build(cls, texts: Iterable[str], *, kind: str = "char", max_size: int = 20_000, specials: bool = False) -> Vocab:
        counts = Counter(tok for text in texts for tok in tokenize(text, kind))
        head = [PAD, UNK] + ([BOS, EOS] if specials else [])
        common = [t for t, _ in counts.most_common(max_size - len(head)) if t not in head]
        return cls(head + common, kind)

    def __len__(self) -> int:
        return len(self.itos)

    def ids(self, text: str) -> list[int]:
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
        sep = "" if self.kind == "char" else " "
        return sep.join(self.itos[i] for i in ids if i not in skip and 0 <= i < len(self.itos))
