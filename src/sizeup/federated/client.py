"""One owner's part of a round: start from the global weights, train locally with sizeup's one loop, send the change.

The simulation and the exported Flower ClientApp both call :func:`local_update`, so a deployed client trains
exactly as a simulated one does.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from sizeup.data.bundle import DataBundle
from sizeup.federated.aggregation import prepare_upload
from sizeup.federated.strategy import ProximalObjective
from sizeup.federated.vectors import load_vector, to_vector
from sizeup.training.callbacks import Callback
from sizeup.task import FederatedSpec
from sizeup.training.config import TrainConfig
from sizeup.training.loop import fit
from sizeup.training.objectives import Objective, balanced_class_weights

__all__ = ["ClientUpdate", "local_update", "local_config", "client_seed", "KeepFinalWeights", "train_and_upload"]


@dataclass
class ClientUpdate:
    """What a client sends back: the change to the global state, how many rows it trained on, its last loss."""

    delta: torch.Tensor
    n: int
    train_loss: float
    steps: int


class KeepFinalWeights(Callback):
    """Local training hands back the weights of its last epoch, as FedAvg prescribes, not of its best one.

    ``fit`` restores its best validation epoch when training ends; this callback runs after that and puts the
    final epoch's weights back (with one local epoch both are the same and nothing is copied).
    """

    def __init__(self, model: nn.Module) -> None:
        self.model, self.state = model, None

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.epochs, self.state = logs["epochs"], None

    def on_epoch_end(self, logs: dict[str, Any]) -> None:
        if self.epochs > 1:
            self.state = {k: v.detach().clone() for k, v in self.model.state_dict().items()}

    def on_train_end(self, logs: dict[str, Any]) -> None:
        if self.state is not None:
            self.model.load_state_dict(self.state)


def client_seed(seed: int, round_: int, client: int, clients: int) -> int:
    """A distinct, reproducible seed for each client in each round (the same in simulation and deployment)."""
    return seed * 1_000_003 + round_ * clients + client


def local_config(config: TrainConfig, *, epochs: int, lr: float, seed: int) -> TrainConfig:
    """The run's training settings for one local run: a constant rate (the schedule runs over rounds), no stopping."""
    return dataclasses.replace(config, epochs=epochs, lr=lr, schedule="constant", warmup=0.0, patience=None,
                               max_seconds=None, seed=seed)


def local_update(model: nn.Module, shard: DataBundle, config: TrainConfig, *, start: torch.Tensor,
                 keys: list[str], mu: float = 0.0) -> ClientUpdate:
    """Load ``start`` into ``model``, train on ``shard`` with :func:`sizeup.training.fit`, return the change."""
    load_vector(model, keys, start)
    info = shard.info
    weights = (balanced_class_weights(shard.train.y, info.n_outputs)
               if config.class_weights and info.task == "classification" else None)
    task_objective = Objective(info.task, label_smoothing=config.label_smoothing, class_weights=weights)
    objective = ProximalObjective(task_objective, model, mu=mu) if mu > 0 else task_objective
    result = fit(model, shard, config, callbacks=[KeepFinalWeights(model)], objective=objective)
    delta = to_vector(model, keys) - start
    return ClientUpdate(delta, len(shard.train), result.history[-1]["train_loss"], result.steps)


def train_and_upload(model: nn.Module, shard: DataBundle, config: TrainConfig, spec: FederatedSpec, *, client: int,
                     round_: int, lr: float, weight: float, start: torch.Tensor, keys: list[str], clip: float | None,
                     bits: int | None = None, key_pair: Any = None, peers: dict[int, bytes] | None = None
                     ) -> tuple[Any, dict[str, Any]]:
    """A client's whole round: train locally from ``start``, then clip / weight / mask what it sends back.

    Returns the upload (a float32 tensor, or a uint64 array under secure aggregation) and the client's report
    (rows, last training loss, local steps, whether DP clipped it, how many values the encoding clamped).
    """
    local = local_config(config, epochs=spec.local_epochs, lr=lr, seed=client_seed(config.seed, round_, client, spec.clients))
    update = local_update(model, shard, local, start=start, keys=keys, mu=spec.proximal_mu)
    masking = ({"me": client, "keys": key_pair, "peers": peers, "round": round_, "bits": bits}
               if bits is not None else None)
    upload, report = prepare_upload(update.delta, weight=weight, clip=clip, masking=masking)
    return upload, {**report, "n": update.n, "train_loss": update.train_loss, "steps": update.steps}
