"""``rnn``: Elman RNN, LSTM or GRU, uni- or bidirectional, over a sequence view of the input
(time steps of a signal, pixel rows of an image, tokens of a text).

Classification pools the outputs (mean and max over real tokens); language modeling predicts the
next token at every step (unidirectional only). ``dp_cells=True`` builds Opacus' DPRNN / DPLSTM / DPGRU
instead of PyTorch's fused cells: the same parameters (same names and shapes), with every gate an
``nn.Linear``, so DP-SGD can compute per-sample gradients (needs the ``privacy`` extra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from sizeup._imports import optional_import
from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import SequenceEmbedding, head, masked_max, masked_mean
from sizeup.zoo._registry import register

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
DP_CELLS = {"rnn": "DPRNN", "lstm": "DPLSTM", "gru": "DPGRU"}  # in opacus.layers


@dataclass
class RNNConfig:
    width: int = 64
    depth: int = 1
    cell: str = "gru"
    bidirectional: bool = True
    dropout: float = 0.1
    dp_cells: bool = False

    def validate(self) -> str | None:
        if self.cell not in CELLS:
            return f"cell must be one of {', '.join(CELLS)}, got {self.cell!r}"
        return None


PRESETS = {"tiny": {"width": 16, "depth": 1}, "small": {"width": 64, "depth": 1},
           "base": {"width": 128, "depth": 2}, "large": {"width": 256, "depth": 2}}


def _cell_class(cfg: RNNConfig) -> type[nn.Module]:
    if not cfg.dp_cells:
        return CELLS[cfg.cell]
    layers = optional_import("opacus.layers", extra="privacy", feature="rnn with dp_cells=True")
    return getattr(layers, DP_CELLS[cfg.cell])


class RecurrentNet(nn.Module):
    def __init__(self, cfg: RNNConfig, info: DataInfo) -> None:
        super().__init__()
        self.lm = info.input_kind == "lm"
        self.context = None  # the state carries any length of history
        bidirectional = cfg.bidirectional and not self.lm  # a language model may not see the future
        self.embed = SequenceEmbedding(info, cfg.width, image_rows=True)
        self.rnn = _cell_class(cfg)(
            cfg.width, cfg.width, num_layers=cfg.depth, batch_first=True,
            bidirectional=bidirectional, dropout=cfg.dropout if cfg.depth > 1 else 0.0,
        )
        out = cfg.width * (2 if bidirectional else 1)
        self.head = head(out if self.lm else 2 * out, info.n_outputs, cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, mask = self.embed(x)
        h, _ = self.rnn(h)
        if self.lm:
            return self.head(h)
        return self.head(torch.cat([masked_mean(h, mask), masked_max(h, mask)], dim=-1))

    def decode(self, x: torch.Tensor, past: Any = None) -> tuple[torch.Tensor, Any]:
        """Language model: next-token logits for new tokens ``x``, carrying the recurrent state ``past``."""
        if not self.lm:
            raise ValueError("decode() needs a language model (input kind 'lm')")
        h, state = self.rnn(self.embed(x)[0], past)
        return self.head(h), state


# recurrent models want smaller steps than convolutions
@register("rnn", config=RNNConfig, inputs={"signal", "image", "tokens", "lm"}, presets=PRESETS,
          description="recurrent network (RNN/LSTM/GRU, optionally bidirectional)",
          space={"width": ("cat", [16, 32, 64, 128]), "depth": ("int", (1, 2)), "cell": ("cat", ["gru", "lstm", "rnn"]),
                 "bidirectional": ("cat", [True, False]), "dropout": ("float", (0.0, 0.3))}, lr_range=(1e-3, 1e-2))
def build_rnn(cfg: RNNConfig, info: DataInfo) -> nn.Module:
    return RecurrentNet(cfg, info)
