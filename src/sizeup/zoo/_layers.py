"""Pieces several families share: turning any input into a sequence of vectors, positions, pooling."""

from __future__ import annotations

import math

import torch

from torch import nn

from sizeup.data.bundle import DataInfo

__all__ = [
    "SequenceEmbedding", "Positions", "Rotary", "masked_mean", "masked_max", "head", "flat_features", "patch_size", "ACTIVATIONS",
]

ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}


def flat_features(info: DataInfo) -> int:
    return math.prod(info.input_shape)


def patch_size(height: int, width: int, channels: int = 1, max_tokens: int = 64, min_values: int = 4) -> int:
    """Smallest square patch that keeps an image at or under ``max_tokens`` tokens (ViT-style) and
    gives each token at least ``min_values`` numbers.

    A one-value token (a grey pixel) embeds as ``pixel * w + b``: every token points the same way,
    and the LayerNorm in front of attention divides the intensity out, so the encoder sees no image.
    """
    p = 1
    while (height // p) * (width // p) > max_tokens or (channels * p * p < min_values and p < min(height, width)):
        p += 1
    return p


class SequenceEmbedding(nn.Module):
    """Any input -> ``(B, T, width)`` plus a padding mask (``True`` = real token) or ``None``.

    Signals: one token per time step (channels projected). Images: non-overlapping patches, or one
    token per pixel row when ``image_rows`` (the classic view for recurrent nets). Token ids (text,
    language modeling): an embedding table with id 0 as padding.
    """

    def __init__(self, info: DataInfo, width: int, *, image_rows: bool = False) -> None:
        super().__init__()
        self.kind = "image_rows" if info.input_kind == "image" and image_rows else info.input_kind
        if self.kind == "image_rows":
            c, h, w = info.input_shape
            self.proj = nn.Linear(c * w, width)
            self.length = h
        elif self.kind == "signal":
            self.proj = nn.Linear(info.input_shape[0], width)
            self.length = info.input_shape[1]
        elif self.kind == "image":
            c, h, w = info.input_shape
            p = patch_size(h, w, c)
            self.proj = nn.Conv2d(c, width, kernel_size=p, stride=p)
            self.length = (h // p) * (w // p)
        elif self.kind in ("tokens", "lm", "seq2seq"):
            self.proj = nn.Embedding(info.vocab_size, width, padding_idx=0)
            self.length = info.input_shape[0]
        else:
            raise ValueError(f"no sequence view of {self.kind} input")

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        if self.kind == "signal":
            return self.proj(x.transpose(1, 2)), None
        if self.kind == "image":
            return self.proj(x).flatten(2).transpose(1, 2), None
        if self.kind == "image_rows":
            return self.proj(x.permute(0, 2, 1, 3).flatten(2)), None
        return self.proj(x), (x != 0) if self.kind == "tokens" else None


class Positions(nn.Module):
    """Learned or sinusoidal (Vaswani et al. 2017, sec. 3.5) position vectors added to the sequence."""

    def __init__(self, length: int, width: int, kind: str = "learned") -> None:
        super().__init__()
        self.kind = kind
        if kind == "learned":
            self.table = nn.Parameter(torch.zeros(1, length, width))
            nn.init.normal_(self.table, std=0.02)
        else:
            pos = torch.arange(length).unsqueeze(1)
            div = torch.exp(torch.arange(0, width, 2) * (-math.log(10_000.0) / width))
            pe = torch.zeros(1, length, width)
            pe[0, :, 0::2] = torch.sin(pos * div)
            pe[0, :, 1::2] = torch.cos(pos * div[: width // 2])
            self.register_buffer("table", pe, persistent=False)

    def forward(self, h: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """``offset``: position of the first vector (past tokens already in a generation cache)."""
        return h + self.table[:, offset : offset + h.shape[1]]


class Rotary(nn.Module):
    """Rotary position embedding (Su et al. 2021, RoFormer, eq. 34; GPT-NeoX's rotate-half layout).

    Rotates each query/key head by angles proportional to its absolute position, so attention scores
    depend on relative position only. No parameters; ``offset`` is the position of the first token
    (the length of the key/value cache during generation).
    """

    def __init__(self, head_dim: int, base: float = 10_000.0) -> None:
        super().__init__()
        if head_dim % 2:
            raise ValueError(f"rotary positions need an even head width, got {head_dim}")
        self.register_buffer("inv_freq", base ** (-torch.arange(0, head_dim, 2).float() / head_dim), persistent=False)

    def forward(self, x: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """``x``: ``(B, heads, T, head_dim)``."""
        pos = torch.arange(offset, offset + x.shape[-2], device=x.device, dtype=self.inv_freq.dtype)
        angles = torch.outer(pos, self.inv_freq).repeat(1, 2).to(x.dtype)  # (T, head_dim)
        half = x.shape[-1] // 2
        rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
        return x * angles.cos() + rotated * angles.sin()


def masked_mean(h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over the sequence, ignoring padded positions."""
    if mask is None:
        return h.mean(dim=1)
    m = mask.unsqueeze(-1).to(h.dtype)
    return (h * m).sum(dim=1) / m.sum(dim=1).clamp_min(1.0)


def masked_max(h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Max over the sequence, ignoring padded positions."""
    if mask is not None:
        h = h.masked_fill(~mask.unsqueeze(-1), torch.finfo(h.dtype).min)
    return h.max(dim=1).values if mask is None else h.max(dim=1).values.masked_fill(~mask.any(1, keepdim=True), 0.0)


def head(width: int, n_out: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(nn.Dropout(dropout), nn.Linear(width, n_out)) if dropout else nn.Sequential(nn.Linear(width, n_out))
