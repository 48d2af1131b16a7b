"""``gpt``: a decoder-only Transformer with causal self-attention (Radford et al. 2018/2019; nanoGPT layout).

For language modeling it predicts the next token everywhere, with the output head tied to the token
embedding (Press & Wolf 2017). As a classifier it reads the last real token (GPT-1's recipe).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import Positions, SequenceEmbedding, head
from sizeup.zoo._registry import register


@dataclass
class GPTConfig:
    width: int = 64
    depth: int = 2
    heads: int = 4
    dropout: float = 0.1
    tie_weights: bool = True


PRESETS = {"tiny": {"width": 32, "depth": 1, "heads": 2}, "small": {"width": 64, "depth": 2, "heads": 4},
           "base": {"width": 128, "depth": 4, "heads": 4}, "large": {"width": 256, "depth": 6, "heads": 8}}


class CausalSelfAttention(nn.Module):
    def __init__(self, width: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, c = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(1, 2).reshape(b, t, c))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.width), nn.LayerNorm(cfg.width)
        self.attn = CausalSelfAttention(cfg.width, cfg.heads, cfg.dropout)
        self.mlp = nn.Sequential(nn.Linear(cfg.width, 4 * cfg.width), nn.GELU(),
                                 nn.Linear(4 * cfg.width, cfg.width), nn.Dropout(cfg.dropout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig, info: DataInfo) -> None:
        super().__init__()
        self.lm = info.input_kind == "lm"
        self.embed = SequenceEmbedding(info, cfg.width)
        self.positions = Positions(self.embed.length, cfg.width, "learned")
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.Sequential(*[Block(cfg) for _ in range(cfg.depth)])
        self.ln_f = nn.LayerNorm(cfg.width)
        if self.lm:
            self.head = nn.Linear(cfg.width, info.n_outputs, bias=False)
            if cfg.tie_weights:
                self.head.weight = self.embed.proj.weight
                nn.init.normal_(self.head.weight, std=0.02)  # nanoGPT's init: N(0, 1) rows make tied logits ~|e|^2
        else:
            self.head = head(cfg.width, info.n_outputs, cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, mask = self.embed(x)
        h = self.ln_f(self.blocks(self.drop(self.positions(h))))
        if self.lm:
            return self.head(h)
        if mask is None:
            return self.head(h[:, -1])
        last = mask.long().sum(dim=1).clamp_min(1) - 1  # right padding: the last real token
        return self.head(h[torch.arange(h.shape[0]), last])


@register("gpt", config=GPTConfig, inputs={"lm", "tokens", "signal"}, presets=PRESETS,
          description="decoder-only Transformer (causal self-attention): language model or classifier")
def build_gpt(cfg: GPTConfig, info: DataInfo) -> nn.Module:
    return GPT(cfg, info)
