"""``tfidf``: a linear model over hashed token n-grams, the TF-IDF + logistic-regression baseline as a candidate.

Every n-gram of 1..``ngram`` consecutive token ids is hashed into ``buckets`` rows (the hashing trick,
Weinberger et al. 2009; fastText uses it for bigrams, Joulin et al. 2017). A document is the sum of its
n-gram rows divided by the square root of its n-gram count, which is the L2 normalisation TF-IDF applies
when most n-grams occur once. The per-bucket weights are learned, so no separate IDF table is needed: the
inverse document frequency is a per-feature scale and a linear model absorbs it. ``hidden > 0`` adds one
hidden layer (the n-gram bag then becomes an embedding of width ``hidden``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._registry import register

__all__ = ["TfidfConfig", "HashedNgrams"]

_PRIME = 1_000_003  # odd multiplier of the polynomial hash; bucket 0 is kept for padding


@dataclass
class TfidfConfig:
    ngram: int = 2
    buckets: int = 2**18
    hidden: int = 0
    dropout: float = 0.0

    def validate(self) -> str | None:
        if not 1 <= self.ngram <= 4:
            return f"ngram must be 1 to 4, got {self.ngram!r}"
        if self.buckets < 16:
            return f"buckets must be at least 16, got {self.buckets!r}"
        if self.hidden < 0:
            return f"hidden must be 0 (linear) or a positive width, got {self.hidden!r}"
        return None


PRESETS = {"tiny": {"ngram": 1, "buckets": 2**12}, "small": {"ngram": 2, "buckets": 2**16},
           "base": {"ngram": 2, "buckets": 2**18}, "large": {"ngram": 3, "buckets": 2**20}}


def ngram_buckets(x: torch.Tensor, ngram: int, buckets: int) -> torch.Tensor:
    """``(B, T)`` token ids -> ``(B, n*T)`` bucket ids of every 1..n-gram; grams touching padding get 0."""
    rows = []
    for n in range(1, ngram + 1):
        if n > x.shape[1]:
            break
        h = torch.full_like(x[:, : x.shape[1] - n + 1], n)
        valid = torch.ones_like(h, dtype=torch.bool)
        for j in range(n):
            part = x[:, j : x.shape[1] - n + 1 + j]
            h = (h * _PRIME + part) % (2**31 - 1)
            valid &= part != 0
        rows.append(torch.where(valid, 1 + h % (buckets - 1), torch.zeros_like(h)))
    return torch.cat(rows, dim=1)


class HashedNgrams(nn.Module):
    def __init__(self, cfg: TfidfConfig, info: DataInfo) -> None:
        super().__init__()
        self.ngram, self.buckets = cfg.ngram, cfg.buckets
        self.embed = nn.Embedding(cfg.buckets, cfg.hidden or info.n_outputs, padding_idx=0)
        nn.init.normal_(self.embed.weight, std=0.01)
        with torch.no_grad():
            self.embed.weight[0].zero_()
        self.bias = nn.Parameter(torch.zeros(info.n_outputs)) if not cfg.hidden else None
        self.hidden = (
            nn.Sequential(nn.GELU(), nn.Dropout(cfg.dropout), nn.Linear(cfg.hidden, info.n_outputs))
            if cfg.hidden else None
        )
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ids = ngram_buckets(x, self.ngram, self.buckets)
        count = (ids != 0).sum(dim=1, keepdim=True).clamp(min=1)
        bag = self.embed(ids).sum(dim=1) / count.sqrt()
        if self.hidden is not None:
            return self.hidden(self.drop(bag))
        return bag + self.bias


@register("tfidf", config=TfidfConfig, inputs={"tokens"}, presets=PRESETS,
          description="linear model over hashed 1..n-gram counts (the TF-IDF + logistic regression baseline)",
          space={"ngram": ("int", (1, 3)), "buckets": ("cat", [2**16, 2**18, 2**20])}, lr_range=(3e-3, 1e-1))
def build_tfidf(cfg: TfidfConfig, info: DataInfo) -> nn.Module:
    return HashedNgrams(cfg, info)
