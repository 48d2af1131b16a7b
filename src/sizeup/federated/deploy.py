"""The exported run's settings file and the node data files: what a deployment reads besides Flower's messages."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sizeup.data.bundle import DataBundle, DataInfo, Split
from sizeup.errors import SizeupError
from sizeup.federated.partition import owner_bundle
from sizeup.task import FederatedSpec
from sizeup.training.config import TrainConfig

__all__ = ["Settings", "load_settings", "build_model", "load_shard", "write_shard", "SETTINGS"]

SETTINGS = "settings.json"


@dataclass
class Settings:
    """The exported run: the model (family, knobs, data description), local training settings, federation, seed."""

    family: str
    knobs: dict[str, Any]
    info: DataInfo
    train: TrainConfig
    federated: FederatedSpec
    metric: str

    def to_dict(self) -> dict[str, Any]:
        return {"family": self.family, "knobs": self.knobs, "data": self.info.to_dict(),
                "train": dataclasses.asdict(self.train), "federated": self.federated.model_dump(), "metric": self.metric}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Settings:
        known = {f.name for f in fields(TrainConfig)}
        return cls(d["family"], d["knobs"], DataInfo.from_dict(d["data"]),
                   TrainConfig(**{k: v for k, v in d["train"].items() if k in known}),
                   FederatedSpec(**d["federated"]), d["metric"])


def load_settings(folder: str | Path) -> Settings:
    return Settings.from_dict(json.loads((Path(folder) / SETTINGS).read_text(encoding="utf-8")))


def build_model(settings: Settings) -> nn.Module:
    """The initial global model, exactly as ``sizeup train`` builds it: seeded with the run's seed."""
    from sizeup.zoo import build, get_family

    torch.manual_seed(settings.train.seed)
    return build(settings.family, settings.info, config=get_family(settings.family).config_cls(**settings.knobs))


def write_shard(path: str | Path, train: Split, test: Split | None = None) -> None:
    """One owner's rows as ``.npz``: ``x``, ``y`` (training) and optionally ``x_test``, ``y_test``."""
    from sizeup._io import atomic_path

    arrays = {"x": train.x.numpy(), "y": train.y.numpy()}
    if test is not None:
        arrays.update(x_test=test.x.numpy(), y_test=test.y.numpy())
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)


def load_shard(path: str | Path, info: DataInfo) -> DataBundle:
    """A SuperNode's own rows (written by :func:`write_shard`, or by the data owner in the same layout)."""
    path = Path(path)
    if not path.is_file():
        raise SizeupError(f"node data {str(path)!r} not found; start the SuperNode with --node-config "
                          "'partition-id=N data=\"/path/to/rows.npz\"'")
    with np.load(path) as f:
        if "x" not in f or "y" not in f:
            raise SizeupError(f"{path} has no arrays 'x' and 'y'; save the node's rows with numpy.savez(path, x=..., y=...)")
        train = Split(torch.from_numpy(f["x"]), torch.from_numpy(f["y"]))
        test = (Split(torch.from_numpy(f["x_test"]), torch.from_numpy(f["y_test"])) if "x_test" in f
                else Split(train.x[:0], train.y[:0]))
    if tuple(train.x.shape[1:]) != tuple(info.input_shape):
        raise SizeupError(f"{path}: rows of shape {tuple(train.x.shape[1:])}, but the model takes "
                          f"{tuple(info.input_shape)}; give the node rows of the exported task's data")
    return owner_bundle(info, train, test)

