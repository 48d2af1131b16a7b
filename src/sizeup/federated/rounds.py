"""The federated run in one process: rounds of sample -> local training -> aggregate -> evaluate, seeded.

:func:`fit_federated` has :func:`sizeup.training.fit`'s signature and result, so the rest of sizeup trains a
candidate federatedly by passing it where ``fit`` goes. A round plays the role of an epoch for callbacks
(progress bars, pruners) and in the history; at the end the model holds the global weights of the round that
scored best on the validation split, as ``fit`` keeps its best epoch.
"""

from __future__ import annotations

import copy
import time
from typing import Any

import torch
from torch import nn

from sizeup.data.bundle import DataBundle
from sizeup.federated.client import train_and_upload
from sizeup.federated.dp import epsilon_after
from sizeup.federated.partition import client_bundle, partition_data
from sizeup.federated.server import FederatedServer
from sizeup.federated.summary import run_summary
from sizeup.task import FederatedSpec
from sizeup.training.callbacks import Callback, EarlyStopping
from sizeup.training.config import TrainConfig
from sizeup.training.evaluate import evaluate
from sizeup.training.loop import FitResult
from sizeup.training.metrics import higher_is_better
from sizeup.training.objectives import Objective

__all__ = ["fit_federated", "Simulation"]


class Simulation:
    """The clients of one run, in this process: each holds its share of the data and (with secure aggregation) a key pair."""

    def __init__(self, model: nn.Module, data: DataBundle, config: TrainConfig, spec: FederatedSpec) -> None:
        self.data, self.config, self.spec = data, config, spec
        self.part = partition_data(data, spec, seed=config.seed)
        self.shards = [client_bundle(data, self.part, i) for i in range(spec.clients)]
        self.server = FederatedServer(model, spec, config, sizes=self.part.sizes, noise_seed=config.seed)
        self.workspace = copy.deepcopy(model)  # the clients train in this one copy, one after another
        self.key_pairs: list[Any] = []
        if spec.secure_aggregation:
            from sizeup.federated.secagg import KeyPair

            self.key_pairs = [KeyPair(seed=f"sizeup-{config.seed}-client-{i}".encode()) for i in range(spec.clients)]

    def round(self, round_: int) -> dict[str, Any]:
        """One round; returns its log entry (cohort size, bytes, the cohort's training loss)."""
        server = self.server
        plan = server.open_round(round_)
        peers = {i: self.key_pairs[i].public for i in plan.cohort} if plan.bits is not None else None
        uploads, reports = [], []
        for client, weight in zip(plan.cohort, plan.weights):
            upload, report = train_and_upload(
                self.workspace, self.shards[client], self.config, self.spec, client=client, round_=round_, lr=plan.lr,
                weight=weight, start=plan.start, keys=server.keys, clip=server.clip, bits=plan.bits,
                key_pair=self.key_pairs[client] if peers else None, peers=peers)
            uploads.append(upload)
            reports.append(report)
        server.close_round(plan, uploads)
        rows = sum(r["n"] for r in reports)
        loss = sum(r["train_loss"] * r["n"] for r in reports) / rows if rows else float("nan")
        return {"epoch": round_, "round": round_, "step": round_, "lr": plan.lr, "train_loss": loss,
                "clients": len(plan.cohort), "bytes": server.round_bytes(plan),
                "clipped": sum(int(r.get("clipped", False)) for r in reports),
                "clamped": sum(r.get("clamped", 0) for r in reports), "local_steps": sum(r["steps"] for r in reports)}


def fit_federated(model: nn.Module, data: DataBundle, config: TrainConfig, spec: FederatedSpec, *,
                  metric: str | None = None, callbacks: list[Callback] | tuple[Callback, ...] = ()) -> FitResult:
    """Train ``model`` by federated averaging over ``spec.clients`` simulated owners of ``data.train``.

    ``config`` holds the local training settings (its learning-rate schedule runs over the rounds); ``spec`` is
    the task's ``[federated]`` section. Returns a :class:`FitResult` whose history has one entry per round and
    whose ``extra`` holds rounds, rounds to the target, bytes per round and in total, the spread of test quality
    across clients and, with differential privacy, the epsilon spent.
    """
    metric = metric or data.info.metric
    torch.manual_seed(config.seed)
    sim = Simulation(model, data, config, spec)  # refuses an unmeetable privacy target before any training
    stopper = EarlyStopping(model, metric, higher_is_better=higher_is_better(metric), patience=None)
    hooks = [stopper, *callbacks]
    for cb in hooks:
        cb.on_train_begin({"epochs": spec.rounds, "steps_per_epoch": 1, "max_seconds": config.max_seconds})
    history, stopped, start = [], "finished all rounds", time.perf_counter()
    for round_ in range(1, spec.rounds + 1):
        logs = sim.round(round_)
        val = evaluate(model, data.val, Objective(data.info.task), n_classes=data.info.n_outputs,
                       batch_size=config.eval_batch_size)
        logs.update({"elapsed": time.perf_counter() - start, **{f"val_{k}": v for k, v in val.items()}})
        history.append(logs)
        for cb in hooks:
            cb.on_epoch_end(logs)
        reasons = [cb.stop_reason or type(cb).__name__ for cb in hooks if cb.stop_training]
        if reasons or (config.max_seconds and time.perf_counter() - start >= config.max_seconds):
            stopped = reasons[0] if reasons else f"time limit of {config.max_seconds:g}s reached"
            break
    seconds = time.perf_counter() - start
    for cb in hooks:
        cb.on_train_end({"epochs": len(history), "steps": len(history), "train_seconds": seconds, "stopped": stopped})
    plan = sim.server.plan
    epsilon = epsilon_after(plan.noise_multiplier, plan.sample_rate, len(history), plan.delta) if plan else None
    return FitResult(metric=metric, best_val=stopper.best if stopper.best is not None else float("nan"),
                     best_epoch=stopper.best_epoch, epochs=len(history), steps=sum(h["local_steps"] for h in history),
                     train_seconds=seconds, stopped=stopped, history=history,
                     extra=run_summary(sim, history, metric=metric, epsilon=epsilon))
