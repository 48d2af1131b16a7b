"""``mlp``: a feed-forward network on the flattened input (width x depth hidden layers)."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import ACTIVATIONS, flat_features
from sizeup.zoo._registry import register


@dataclass
class MLPConfig:
    width: int = 128
    depth: int = 2
    dropout: float = 0.1
    activation: str = "gelu"
    norm: bool = True

    def validate(self) -> str | None:
        if self.activation not in ACTIVATIONS:
            return f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}"
        return None


PRESETS = {"tiny": {"width": 32, "depth": 1}, "small": {"width": 64, "depth": 2},
           "base": {"width": 256, "depth": 2}, "large": {"width": 512, "depth": 3}}


@register("mlp", config=MLPConfig, inputs={"tabular", "signal", "image"}, presets=PRESETS,
          description="feed-forward network on the flattened input",
          space={"width": ("cat", [32, 64, 128, 256, 512]), "depth": ("int", (1, 4)), "dropout": ("float", (0.0, 0.4))})
def build_mlp(cfg: MLPConfig, info: DataInfo) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten()]
    n_in = flat_features(info)
    for _ in range(cfg.depth):
        layers += [nn.Linear(n_in, cfg.width)]
        if cfg.norm:
            layers.append(nn.LayerNorm(cfg.width))
        layers += [ACTIVATIONS[cfg.activation](), nn.Dropout(cfg.dropout)]
        n_in = cfg.width
    layers.append(nn.Linear(n_in, info.n_outputs))
    return nn.Sequential(*layers)
