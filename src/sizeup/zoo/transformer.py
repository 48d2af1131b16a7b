"""``transformer``: an encoder of pre-norm blocks with multi-head self-attention (Vaswani et al. 2017).

Signals are one token per time step, images are patches (ViT, Dosovitskiy et al. 2021), text is
token ids; padded tokens are masked out of attention and of the mean pooling.

``attention="mha"`` builds PyTorch's ``nn.TransformerEncoderLayer`` (its fused inference fast path);
``attention="sdpa"`` builds the same pre-norm block from explicit ``nn.Linear`` projections around
``F.scaled_dot_product_attention``: the same parameters and the same function, but every weight sits in a
layer whose per-sample gradients DP-SGD can compute (``nn.MultiheadAttention`` has none).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
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
    attention: str = "mha"

    def validate(self) -> str | None:
        if self.attention not in ATTENTION:
            return f"attention must be one of {', '.join(ATTENTION)}, got {self.attention!r}"
        if self.positions not in ("learned", "sinusoidal"):
            return f"positions must be 'learned' or 'sinusoidal', got {self.positions!r}"
        return None


ATTENTION = ("mha", "sdpa")

PRESETS = {"tiny": {"width": 32, "depth": 1, "heads": 2}, "small": {"width": 64, "depth": 2, "heads": 4},
           "base": {"width": 128, "depth": 4, "heads": 4}, "large": {"width": 256, "depth": 6, "heads": 8}}


def encoder(width: int, depth: int, heads: int, ff_mult: int, dropout: float) -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(width, heads, ff_mult * width, dropout, activation="gelu",
                                       batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, depth, norm=nn.LayerNorm(width), enable_nested_tensor=False)


class SelfAttention(nn.Module):
    """Multi-head self-attention from ``nn.Linear`` projections (``nn.MultiheadAttention``'s parameters)."""

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(width, 3 * width)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, padding: torch.Tensor | None) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        keep = None if padding is None else ~padding[:, None, None, :]  # True: attend to that key
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=self.dropout if self.training else 0.0)
        return self.out(y.transpose(1, 2).reshape(b, t, c))


class EncoderBlock(nn.Module):
    """``nn.TransformerEncoderLayer(norm_first=True, activation="gelu")``, written out."""

    def __init__(self, width: int, heads: int, ff_mult: int, dropout: float) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(width), nn.LayerNorm(width)
        self.attn = SelfAttention(width, heads, dropout)
        self.ff = nn.Sequential(nn.Linear(width, ff_mult * width), nn.GELU(), nn.Dropout(dropout),
                                nn.Linear(ff_mult * width, width))
        self.drop1, self.drop2 = nn.Dropout(dropout), nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, padding: torch.Tensor | None) -> torch.Tensor:
        x = x + self.drop1(self.attn(self.norm1(x), padding))
        return x + self.drop2(self.ff(self.norm2(x)))


class LinearEncoder(nn.Module):
    """A stack of :class:`EncoderBlock` and a final LayerNorm, called as ``nn.TransformerEncoder`` is."""

    def __init__(self, width: int, depth: int, heads: int, ff_mult: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.ModuleList(EncoderBlock(width, heads, ff_mult, dropout) for _ in range(depth))
        self.norm = nn.LayerNorm(width)

    def forward(self, x: torch.Tensor, src_key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, src_key_padding_mask)
        return self.norm(x)


class TransformerEncoderNet(nn.Module):
    def __init__(self, cfg: TransformerConfig, info: DataInfo) -> None:
        super().__init__()
        self.embed = SequenceEmbedding(info, cfg.width)
        self.positions = Positions(self.embed.length, cfg.width, cfg.positions)
        self.drop = nn.Dropout(cfg.dropout)
        make = encoder if cfg.attention == "mha" else LinearEncoder
        self.encoder = make(cfg.width, cfg.depth, cfg.heads, cfg.ff_mult, cfg.dropout)
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
