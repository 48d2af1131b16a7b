"""Helpers the federated tests share (the fixtures are in conftest.py)."""

from __future__ import annotations

import torch

from sizeup.task import FederatedSpec
from sizeup.training import TrainConfig
from sizeup.zoo import build

FEDERATED = {"clients": 4, "rounds": 4, "fraction": 0.5, "local_epochs": 1}


def tiny_model(data, seed: int = 0):
    torch.manual_seed(seed)
    return build("mlp", data.info, width=16, depth=1, dropout=0.0)


def local_config(**kw) -> TrainConfig:
    return TrainConfig(**{"epochs": 1, "batch_size": 32, "lr": 1e-2, "augment": False, "seed": 0, **kw})


def spec(**kw) -> FederatedSpec:
    return FederatedSpec(**{**FEDERATED, **kw})
