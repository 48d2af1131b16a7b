"""``transformer``: an encoder of pre-norm blocks with multi-head self-attention (Vaswani et al. 2017).

Signals are one token per time step, images are patches (ViT, Dosovitskiy et al. 2021), text is
token ids; padded tokens are masked out of attention and of the mean pooling.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import Positions, SequenceEmbedding, head, masked_mean
from sizeup.zoo._registry import register


@dataclass
class TransformerConfig:
    width: int = 64
    depth: int = 2
    heads: int = 4
    dropout: float = 0.1
    ff_mult: int = 4
    positions: str = "learned"

    def validate(self) -> str | None:
        if self.positions not in ("learned", "sinusoidal"):
            return f"positions must be 'learned' or 'sinusoidal', got {self.positions!r}"
        return None


PRESETS = {"tiny": {"width": 32, "depth": 1, "heads": 2}, "small": {"width": 64, "depth": 2, "heads": 4},
           "base": {"width": 128, "depth": 4, "heads": 4}, "large": {"width": 256, "depth": 6, "heads": 8}}


def encoder(width: int, depth: int, heads: int, ff_mult: int, dropout: float) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(width, heads, ff_mult * width, dropout, activation="gelu",
                                       batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, depth, norm=nn.LayerNorm(width), enable_nested_tensor=False)


class TransformerEncoderNet(nn.Module):
    def __init__(self, cfg: TransformerConfig, info: DataInfo) -> None:
        super().__init__()
        self.embed = SequenceEmbedding(info, cfg.width)
        self.positions = Positions(self.embed.length, cfg.width, cfg.positions)
        self.drop = nn.Dropout(cfg.dropout)
        self.encoder = encoder(cfg.width, cfg.depth, cfg.heads, cfg.ff_mult, cfg.dropout)
        self.head = head(cfg.width, info.n_outputs, cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, mask = self.embed(x)
        padding = None
        if mask is not None:
            padding = ~mask
            padding[:, 0] &= mask.any(dim=1)  # an all-padding row attends to one position, not none (NaN)
        h = self.encoder(self.drop(self.positions(h)), src_key_padding_mask=padding)
        return self.head(masked_mean(h, mask))


# attention wants smaller steps than convolutions
@register("transformer", config=TransformerConfig, inputs={"signal", "image", "tokens"}, presets=PRESETS,
          description="Transformer encoder with multi-head self-attention",
          space={"width": ("cat", [32, 64, 128]), "depth": ("int", (1, 4)), "heads": ("cat", [2, 4]),
                 "dropout": ("float", (0.0, 0.3))}, lr_range=(3e-4, 3e-3))
def build_transformer(cfg: TransformerConfig, info: DataInfo) -> nn.Module:
    return TransformerEncoderNet(cfg, info)
