"""``linear``: logistic / linear regression on the flattened input — the baseline every model must beat."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from sizeup.data.bundle import DataInfo
from sizeup.zoo._layers import flat_features
from sizeup.zoo._registry import register


@dataclass
class LinearConfig:
    dropout: float = 0.0


@register("linear", config=LinearConfig, inputs={"tabular", "signal", "image"},
          presets={"base": {}}, description="logistic/linear regression on the flattened input",
          space={})
def build_linear(cfg: LinearConfig, info: DataInfo) -> nn.Module:
    layers: list[nn.Module] = [nn.Flatten()]
    if cfg.dropout:
        layers.append(nn.Dropout(cfg.dropout))
    layers.append(nn.Linear(flat_features(info), info.n_outputs))
    return nn.Sequential(*layers)
