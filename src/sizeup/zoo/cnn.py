"""``cnn``: 1-D (signals) or 2-D (images) convolutions, optionally residual and dilated, then a dense head.

Each block is conv-norm-act (twice when ``residual``, with a skip connection, He et al. 2016);
the norm is BatchNorm, or GroupNorm (``norm="group"``, Wu & He 2018), which keeps every sample's output a
function of that sample alone, as DP-SGD's per-sample gradients need (De et al. 2022 use it for DP training);
blocks after the first halve the length while it stays above 4, and widths grow 1x, 2x, 2x, ...
``dilation`` doubles the dilation per block instead of downsampling (a TCN-style receptive field).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import ACTIVATIONS
from sizeup.zoo._registry import register


@dataclass
class CNNConfig:
    width: int = 32
    depth: int = 3
    kernel: int = 5
    dropout: float = 0.1
    residual: bool = True
    dilation: bool = False
    activation: str = "relu"
    pool: str = "avgmax"
    norm: str = "batch"

    def validate(self) -> str | None:
        if self.norm not in NORMS:
            return f"norm must be one of {', '.join(NORMS)}, got {self.norm!r}"
        if self.kernel < 1 or self.kernel % 2 == 0:
            return f"kernel must be a positive odd number, got {self.kernel}"
        if self.pool not in ("avg", "max", "avgmax"):
            return f"pool must be 'avg', 'max' or 'avgmax', got {self.pool!r}"
        if self.activation not in ACTIVATIONS:
            return f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}"
        return None


NORMS = ("batch", "group")
MAX_GROUPS = 16  # GroupNorm groups (De et al. 2022 use 16); fewer where the channels do not divide by 16


def _norm(kind: str, dims: int, channels: int) -> nn.Module:
    if kind == "group":
        return nn.GroupNorm(math.gcd(channels, MAX_GROUPS), channels)
    return (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(channels)


PRESETS = {"tiny": {"width": 8, "depth": 2}, "small": {"width": 32, "depth": 3},
           "base": {"width": 64, "depth": 4}, "large": {"width": 128, "depth": 5}}


class _Block(nn.Module):
    def __init__(self, dims: int, c_in: int, c_out: int, kernel: int, dilation: int, cfg: CNNConfig) -> None:
        super().__init__()
        Conv = nn.Conv1d if dims == 1 else nn.Conv2d
        Norm = functools.partial(_norm, cfg.norm, dims)
        pad = dilation * (kernel // 2)
        self.conv1 = nn.Sequential(Conv(c_in, c_out, kernel, padding=pad, dilation=dilation, bias=False), Norm(c_out))
        self.act = ACTIVATIONS[cfg.activation]()
        self.conv2 = None
        self.skip: nn.Module | None = None
        if cfg.residual:
            self.conv2 = nn.Sequential(Conv(c_out, c_out, kernel, padding=pad, dilation=dilation, bias=False), Norm(c_out))
            self.skip = nn.Identity() if c_in == c_out else nn.Sequential(Conv(c_in, c_out, 1, bias=False), Norm(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.act(self.conv1(x))
        if self.conv2 is None:
            return h
        return self.act(self.conv2(h) + self.skip(x))


class ConvNet(nn.Module):
    def __init__(self, cfg: CNNConfig, info: DataInfo) -> None:
        super().__init__()
        dims = 1 if info.input_kind == "signal" else 2
        c_in, *spatial = info.input_shape
        kernel = cfg.kernel if dims == 1 else min(cfg.kernel, 3)
        Pool = nn.MaxPool1d if dims == 1 else nn.MaxPool2d
        blocks: list[nn.Module] = []
        size = min(spatial)
        for i in range(cfg.depth):
            c_out = cfg.width * min(2 ** ((i + 1) // 2), 4)
            if i > 0 and not cfg.dilation and size > 4:
                blocks.append(Pool(2))
                size //= 2
            dilation = 2**i if cfg.dilation else 1
            blocks.append(_Block(dims, c_in, c_out, kernel, dilation, cfg))
            c_in = c_out
        self.features = nn.Sequential(*blocks)
        self.pool = cfg.pool
        n_feat = c_in * (2 if cfg.pool == "avgmax" else 1)
        self.head = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(n_feat, info.n_outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x).flatten(2)
        pooled = {"avg": lambda: h.mean(-1), "max": lambda: h.amax(-1),
                  "avgmax": lambda: torch.cat([h.mean(-1), h.amax(-1)], dim=1)}[self.pool]()
        return self.head(pooled)


@register("cnn", config=CNNConfig, inputs={"signal", "image"}, presets=PRESETS,
          description="1-D/2-D convolutional network (residual, optional dilation) with global pooling",
          space={"width": ("cat", [8, 16, 32, 64, 96]), "depth": ("int", (2, 5)), "kernel": ("cat", [3, 5, 7]),
                 "residual": ("cat", [True, False]), "dilation": ("cat", [False, True]), "dropout": ("float", (0.0, 0.3))})
def build_cnn(cfg: CNNConfig, info: DataInfo) -> nn.Module:
    return ConvNet(cfg, info)
