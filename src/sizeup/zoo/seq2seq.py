"""``seq2seq``: encoder-decoder Transformer with cross-attention (Vaswani et al. 2017) for source -> target.

``forward(src, tgt_in)`` returns next-token logits for every target position (teacher forcing);
:func:`greedy_decode` turns a source into a target sequence.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.data.text import BOS, EOS
from sizeup.zoo._layers import Positions
from sizeup.zoo._registry import register

MAX_POSITIONS = 1024


@dataclass
class Seq2SeqConfig:
    width: int = 64
    depth: int = 2
    heads: int = 4
    dropout: float = 0.1
    ff_mult: int = 4


PRESETS = {"tiny": {"width": 32, "depth": 1, "heads": 2}, "small": {"width": 64, "depth": 2, "heads": 4},
           "base": {"width": 128, "depth": 3, "heads": 4}, "large": {"width": 256, "depth": 6, "heads": 8}}


class Seq2Seq(nn.Module):
    def __init__(self, cfg: Seq2SeqConfig, info: DataInfo) -> None:
        super().__init__()
        self.src_embed = nn.Embedding(info.vocab_size, cfg.width, padding_idx=0)
        self.tgt_embed = nn.Embedding(info.target_vocab_size, cfg.width, padding_idx=0)
        self.positions = Positions(MAX_POSITIONS, cfg.width, "sinusoidal")
        with warnings.catch_warnings():  # nn.Transformer asks for nested tensors that pre-norm layers cannot use
            warnings.simplefilter("ignore", UserWarning)
            self.core = nn.Transformer(cfg.width, cfg.heads, cfg.depth, cfg.depth, cfg.ff_mult * cfg.width,
                                       cfg.dropout, activation="gelu", batch_first=True, norm_first=True)
        self.head = nn.Linear(cfg.width, info.target_vocab_size)
        self.bos = info.target_vocab.index(BOS)
        self.eos = info.target_vocab.index(EOS)

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        causal = nn.Transformer.generate_square_subsequent_mask(tgt_in.shape[1], device=tgt_in.device, dtype=torch.bool)
        h = self.core(
            self.positions(self.src_embed(src)), self.positions(self.tgt_embed(tgt_in)),
            tgt_mask=causal, src_key_padding_mask=src == 0, tgt_key_padding_mask=tgt_in == 0,
            memory_key_padding_mask=src == 0, tgt_is_causal=True,
        )
        return self.head(h)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, max_length: int) -> torch.Tensor:
        """Decode greedily from ``<bos>`` until every row has produced ``<eos>`` or ``max_length``."""
        out = torch.full((src.shape[0], 1), self.bos, dtype=torch.long, device=src.device)
        done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
        for _ in range(max_length - 1):
            nxt = self.forward(src, out)[:, -1].argmax(-1)
            nxt = nxt.masked_fill(done, 0)
            out = torch.cat([out, nxt[:, None]], dim=1)
            done |= nxt == self.eos
            if done.all():
                break
        return out


# attention wants smaller steps than convolutions
@register("seq2seq", config=Seq2SeqConfig, inputs={"seq2seq"}, presets=PRESETS,
          description="encoder-decoder Transformer with cross-attention",
          space={"width": ("cat", [32, 64, 128]), "depth": ("int", (1, 3)), "heads": ("cat", [2, 4]),
                 "dropout": ("float", (0.0, 0.3))}, lr_range=(3e-4, 3e-3))
def build_seq2seq(cfg: Seq2SeqConfig, info: DataInfo) -> nn.Module:
    return Seq2Seq(cfg, info)
