"""``bow``: bag of embeddings (fastText, Joulin et al. 2017): average the token vectors, then classify."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import head, masked_mean
from sizeup.zoo._registry import register


@dataclass
class BowConfig:
    width: int = 64
    depth: int = 1
    dropout: float = 0.1


PRESETS = {"tiny": {"width": 16}, "small": {"width": 64}, "base": {"width": 128, "depth": 2},
           "large": {"width": 256, "depth": 2}}


class BagOfEmbeddings(nn.Module):
    """``depth`` counts the linear layers after pooling: 1 is fastText, more adds hidden layers."""

    def __init__(self, cfg: BowConfig, info: DataInfo) -> None:
        super().__init__()
        self.embed = nn.Embedding(info.vocab_size, cfg.width, padding_idx=0)
        hidden: list[nn.Module] = []
        for _ in range(cfg.depth - 1):
            hidden += [nn.Linear(cfg.width, cfg.width), nn.GELU(), nn.Dropout(cfg.dropout)]
        self.hidden = nn.Sequential(*hidden)
        self.head = head(cfg.width, info.n_outputs, cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.hidden(masked_mean(self.embed(x), x != 0)))


@register("bow", config=BowConfig, inputs={"tokens"}, presets=PRESETS,
          description="bag of embeddings (fastText-like) text classifier",
          space={"width": ("cat", [32, 64, 128, 256]), "depth": ("int", (1, 2)), "dropout": ("float", (0.0, 0.5))})
def build_bow(cfg: BowConfig, info: DataInfo) -> nn.Module:
    return BagOfEmbeddings(cfg, info)
