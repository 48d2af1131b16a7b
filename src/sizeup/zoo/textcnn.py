"""``textcnn``: parallel 1-D convolutions of several widths over token embeddings, max over time (Kim 2014)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import head
from sizeup.zoo._registry import register


@dataclass
class TextCNNConfig:
    width: int = 64
    kernels: list[int] = field(default_factory=lambda: [3, 4, 5])
    dropout: float = 0.3

    def validate(self) -> str | None:
        if not self.kernels or any(k < 1 for k in self.kernels):
            return f"kernels must be a non-empty list of positive sizes, got {self.kernels}"
        return None


PRESETS = {"tiny": {"width": 16}, "small": {"width": 64}, "base": {"width": 128}, "large": {"width": 256}}


class TextCNN(nn.Module):
    def __init__(self, cfg: TextCNNConfig, info: DataInfo) -> None:
        super().__init__()
        self.embed = nn.Embedding(info.vocab_size, cfg.width, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(cfg.width, cfg.width, k, padding=k // 2) for k in cfg.kernels)
        self.head = head(cfg.width * len(cfg.kernels), info.n_outputs, cfg.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.embed(x).transpose(1, 2).contiguous()  # one copy shared by the convs, not one hidden in each
        pad = (x == 0).unsqueeze(1)
        pooled = [torch.relu(conv(h))[..., : x.shape[1]].masked_fill(pad, 0.0).amax(-1) for conv in self.convs]
        return self.head(torch.cat(pooled, dim=1))


@register("textcnn", config=TextCNNConfig, inputs={"tokens"}, presets=PRESETS,
          description="TextCNN: multi-width convolutions with max-over-time pooling",
          space={"width": ("cat", [32, 64, 128, 256]), "dropout": ("float", (0.1, 0.5))})
def build_textcnn(cfg: TextCNNConfig, info: DataInfo) -> nn.Module:
    return TextCNN(cfg, info)
