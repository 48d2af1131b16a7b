"""``gpt``: a decoder-only Transformer with causal self-attention (Radford et al. 2018/2019; nanoGPT layout).

For language modeling it predicts the next token everywhere, with the output head tied to the token
embedding (Press & Wolf 2017). As a classifier it reads the last real token (GPT-1's recipe).
Positions are learned vectors (GPT-2) or rotary (RoFormer, as in LLaMA). :meth:`GPT.decode` runs
with a key/value cache for generation; ``forward`` is the plain, cache-free path.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import Positions, Rotary, SequenceEmbedding, head
from sizeup.zoo._registry import register

__all__ = ["GPT", "GPTConfig", "KVCache"]

POSITIONS = ("learned", "rotary")
KVCache = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys and values, (B, heads, T_past, head_dim)


@dataclass
class GPTConfig:
    width: int = 64
    depth: int = 2
    heads: int = 4
    dropout: float = 0.1
    tie_weights: bool = True
    positions: str = "learned"

    def validate(self) -> str | None:
        if self.positions not in POSITIONS:
            return f"positions must be one of {', '.join(POSITIONS)}, got {self.positions!r}"
        if self.positions == "rotary" and (self.width // self.heads) % 2:
            return f"rotary positions need an even head width; width={self.width} / heads={self.heads} is odd"
        return None


PRESETS = {"tiny": {"width": 32, "depth": 1, "heads": 2}, "small": {"width": 64, "depth": 2, "heads": 4},
           "base": {"width": 128, "depth": 4, "heads": 4}, "large": {"width": 256, "depth": 6, "heads": 8}}


class CausalSelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float, rotary: bool) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)
        self.rotary = Rotary(width // heads) if rotary else None

    def forward(self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None,
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        offset = 0 if past is None else past[0].shape[2]
        if self.rotary is not None:
            q, k = self.rotary(q, offset), self.rotary(k, offset)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        mask = None
        if offset and t > 1:  # new queries see every cached key and the new keys up to their own position
            mask = torch.ones(t, offset + t, dtype=torch.bool, device=x.device).tril(diagonal=offset)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=not offset and t > 1,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(1, 2).reshape(b, t, c)), (k, v)


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.width), nn.LayerNorm(cfg.width)
        self.attn = CausalSelfAttention(cfg.width, cfg.heads, cfg.dropout, cfg.positions == "rotary")
        self.mlp = nn.Sequential(nn.Linear(cfg.width, 4 * cfg.width), nn.GELU(),
                                 nn.Linear(4 * cfg.width, cfg.width), nn.Dropout(cfg.dropout))

    def forward(self, x: torch.Tensor, past: tuple[torch.Tensor, torch.Tensor] | None = None,
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        a, kv = self.attn(self.ln1(x), past)
        x = x + a
        return x + self.mlp(self.ln2(x)), kv


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig, info: DataInfo) -> None:
        super().__init__()
        self.lm = info.input_kind == "lm"
        self.embed = SequenceEmbedding(info, cfg.width)
        self.context = self.embed.length  # the longest sequence the learned positions (and training) cover
        self.positions = Positions(self.embed.length, cfg.width, "learned") if cfg.positions == "learned" else None
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.depth)])
        self.ln_f = nn.LayerNorm(cfg.width)
        if self.lm:
            self.head = nn.Linear(cfg.width, info.n_outputs, bias=False)
            if cfg.tie_weights:
                self.head.weight = self.embed.proj.weight
                nn.init.normal_(self.head.weight, std=0.02)  # nanoGPT's init: N(0, 1) rows make tied logits ~|e|^2
        else:
            self.head = head(cfg.width, info.n_outputs, cfg.dropout)

    def _trunk(self, h: torch.Tensor, past: KVCache | None) -> tuple[torch.Tensor, KVCache]:
        offset = 0 if past is None else past[0][0].shape[2]
        if self.positions is not None:
            h = self.positions(h, offset=offset)  # keyword: per-sample gradient hooks record positional tensors only
        h = self.drop(h)
        cache = []
        for i, block in enumerate(self.blocks):
            h, kv = block(h, None if past is None else past[i])
            cache.append(kv)
        return self.ln_f(h), cache

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, mask = self.embed(x)
        h, _ = self._trunk(h, None)
        if self.lm:
            return self.head(h)
        if mask is None:
            return self.head(h[:, -1])
        last = mask.long().sum(dim=1).clamp_min(1) - 1  # right padding: the last real token
        return self.head(h[torch.arange(h.shape[0]), last])

    def decode(self, x: torch.Tensor, past: KVCache | None = None) -> tuple[torch.Tensor, KVCache]:
        """Next-token logits for new tokens ``x`` after the cached ones, and the cache grown by ``x``."""
        if not self.lm:
            raise ValueError("decode() needs a language model (input kind 'lm')")
        h, cache = self._trunk(self.embed(x)[0], past)
        return self.head(h), cache


# attention wants smaller steps than convolutions
@register("gpt", config=GPTConfig, inputs={"lm", "tokens", "signal"}, presets=PRESETS,
          description="decoder-only Transformer (causal self-attention, learned or rotary positions)",
          space={"width": ("cat", [32, 64, 128]), "depth": ("int", (1, 4)), "heads": ("cat", [2, 4]),
                 "dropout": ("float", (0.0, 0.3)), "positions": ("cat", ["learned", "rotary"])}, lr_range=(3e-4, 3e-3))
def build_gpt(cfg: GPTConfig, info: DataInfo) -> nn.Module:
    return GPT(cfg, info)
