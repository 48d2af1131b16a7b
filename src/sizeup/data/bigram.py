"""The floor a language model must clear: an add-k smoothed bigram model counted on the training split.

Each training block already pairs every token ``x[i, j]`` with its successor ``y[i, j]``, so the
counts need no tokenizer. ``k`` is chosen on validation (a stronger baseline); test is reported too.
"""

from __future__ import annotations

import math

import torch

from sizeup.data.bundle import DataBundle, Split

__all__ = ["BigramModel", "bigram_baseline", "versus_baseline", "K_GRID"]

K_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


class BigramModel:
    """``P(b | a) = (count(a, b) + k) / (count(a) + k V)`` over a vocabulary of ``V`` token ids."""

    def __init__(self, vocab_size: int, k: float = 0.1) -> None:
        self.vocab_size, self.k = vocab_size, k

    def fit(self, split: Split) -> BigramModel:
        a, b = split.x.flatten().long(), split.y.flatten().long()
        self.pairs_, self.pair_counts_ = torch.unique(a * self.vocab_size + b, return_counts=True)  # sorted
        self.row_counts_ = torch.bincount(a, minlength=self.vocab_size)
        return self

    def log_prob(self, split: Split) -> torch.Tensor:
        """Natural-log probability of every successor in ``split``."""
        a, b = split.x.flatten().long(), split.y.flatten().long()
        key = a * self.vocab_size + b
        at = torch.searchsorted(self.pairs_, key).clamp_max(len(self.pairs_) - 1)
        count = torch.where(self.pairs_[at] == key, self.pair_counts_[at], 0).double()
        return torch.log((count + self.k) / (self.row_counts_[a].double() + self.k * self.vocab_size))

    def perplexity(self, split: Split) -> float:
        return math.exp(-self.log_prob(split).mean().item())


def bigram_baseline(data: DataBundle) -> dict[str, float | str]:
    """Validation and test perplexity of the best add-k bigram (``k`` from :data:`K_GRID`, picked on validation)."""
    model = BigramModel(data.info.n_outputs).fit(data.train)
    val = {}
    for k in K_GRID:
        model.k = k
        val[k] = model.perplexity(data.val)
    model.k = min(val, key=val.get)
    unit = "char" if data.info.notes.get("tokenizer", "char") == "char" else "word"
    return {"name": f"{unit} bigram, add-k", "k": model.k, "val_perplexity": val[model.k],
            "test_perplexity": model.perplexity(data.test)}


def versus_baseline(baseline: dict[str, float | str], val_perplexity: float) -> str:
    """One line comparing a model's validation perplexity with the bigram baseline's."""
    base = float(baseline["val_perplexity"])
    return (f"{baseline['name']} baseline (k={baseline['k']:g}): val perplexity {base:.1f}; this model's "
            f"{val_perplexity:.1f} is {100 * (1 - val_perplexity / base):.0f} % lower")
