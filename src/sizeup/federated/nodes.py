"""What the exported Flower app runs on either side, apart from Flower itself: the same functions as the simulation.

The ServerApp and ClientApp (``sizeup/federated/flower_app/``) only move arrays between machines; building the
model, local training, sampling, weighting, combining and evaluating all happen here, through the code the
in-process simulation uses, so a deployment with the same seed, clients and data follows the same rounds.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sizeup._io import write_json
from sizeup.data.bundle import Split
from sizeup.federated.client import train_and_upload
from sizeup.federated.deploy import Settings, build_model, load_shard
from sizeup.federated.server import FederatedServer, RoundPlan
from sizeup.federated.vectors import exchanged_keys, to_vector
from sizeup.training.callbacks import EarlyStopping
from sizeup.training.evaluate import evaluate
from sizeup.training.metrics import higher_is_better
from sizeup.training.objectives import Objective

__all__ = ["DeployedClient", "DeployedServer"]


def _load_arrays(model: nn.Module, keys: list[str], arrays: list[np.ndarray]) -> None:
    state = model.state_dict()
    with torch.no_grad():
        for k, a in zip(keys, arrays):
            state[k].copy_(torch.from_numpy(np.asarray(a)).reshape(state[k].shape))


class DeployedClient:
    """A SuperNode's side of the run: its own rows, the exported model, and (with secure aggregation) its key pair."""

    def __init__(self, settings: Settings, *, partition: int, data: str, key_seed: bytes) -> None:
        self.settings, self.partition, self.key_seed = settings, partition, key_seed
        self.shard = load_shard(data, settings.info)
        self.model = build_model(settings)
        self.keys = exchanged_keys(self.model)

    def _key_pair(self):
        from sizeup.federated.secagg import KeyPair

        return KeyPair(seed=self.key_seed)

    def hello(self) -> dict[str, Any]:
        """Who this node is to the server: its partition id, its row count and, for secure aggregation, its public key."""
        out: dict[str, Any] = {"partition-id": self.partition, "num-examples": len(self.shard.train)}
        if self.settings.federated.secure_aggregation:
            out["public-key"] = self._key_pair().public
        return out

    def train(self, arrays: list[np.ndarray], config: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
        """One round on this node's rows, exactly as a simulated client trains (``train_and_upload``)."""
        spec = self.settings.federated
        _load_arrays(self.model, self.keys, arrays)
        bits = int(config["bits"])
        peers = dict(zip(config.get("peer-ids", []), config.get("peer-keys", []))) if bits >= 0 else None
        upload, report = train_and_upload(
            self.model, self.shard, self.settings.train, spec, client=self.partition, round_=int(config["round"]),
            lr=float(config["lr"]), weight=float(config["weight"]), start=to_vector(self.model, self.keys),
            keys=self.keys, clip=spec.dp_clip if spec.private else None, bits=bits if bits >= 0 else None,
            key_pair=self._key_pair() if peers is not None else None, peers=peers)
        upload = upload if isinstance(upload, np.ndarray) else upload.numpy()
        return upload, {"partition-id": self.partition, "num-examples": report["n"], "train-loss": report["train_loss"],
                        "steps": report["steps"], "clipped": bool(report.get("clipped", False)),
                        "clamped": int(report.get("clamped", 0))}

    def evaluate(self, arrays: list[np.ndarray]) -> dict[str, Any]:
        """The final global model on this node's test rows (none: only the count, 0)."""
        _load_arrays(self.model, self.keys, arrays)
        out: dict[str, Any] = {"partition-id": self.partition, "num-test": len(self.shard.test)}
        if len(self.shard.test):
            info = self.shard.info
            out[self.settings.metric] = evaluate(self.model, self.shard.test, Objective(info.task),
                                                 n_classes=info.n_outputs)[self.settings.metric]
        return out


class DeployedServer:
    """The ServerApp's side: :class:`FederatedServer` plus evaluation on the server's own files and the results."""

    def __init__(self, settings: Settings, *, rounds: int, out_dir: str, eval_data: str, test_data: str) -> None:
        self.settings = settings
        self.spec = settings.federated.model_copy(update={"rounds": rounds})
        self.rounds, self.clients = rounds, self.spec.clients
        self.out_dir = Path(out_dir) if out_dir else Path.cwd() / "sizeup-federated-run"
        self.eval = load_shard(eval_data, settings.info).train if eval_data else None
        self.test = load_shard(test_data, settings.info).train if test_data else None
        self.model = build_model(settings)
        self.history: list[dict[str, Any]] = []
        self.stopper = EarlyStopping(self.model, settings.metric, higher_is_better=higher_is_better(settings.metric),
                                     patience=None)
        self.stopper.on_train_begin({})
        self.server: FederatedServer | None = None

    def join(self, members: dict[int, tuple[int, int, bytes]]) -> None:
        """Partition id -> (node id, rows, public key) of every node; one node per partition 0 .. clients-1."""
        if sorted(members) != list(range(self.clients)):
            raise RuntimeError(f"nodes report partition ids {sorted(members)}; start one SuperNode for each of "
                               f"0..{self.clients - 1} (--node-config 'partition-id=N data=...')")
        self.members = members
        sizes = [members[i][1] for i in range(self.clients)]
        self.server = FederatedServer(self.model, self.spec, self.settings.train, sizes=sizes, noise_seed=None)

    def open_round(self, round_: int) -> RoundPlan:
        return self.server.open_round(round_)

    def global_arrays(self) -> list[np.ndarray]:
        state = self.model.state_dict()
        return [state[k].detach().numpy().copy() for k in self.server.keys]

    def client_config(self, plan: RoundPlan, client: int) -> dict[str, Any]:
        out: dict[str, Any] = {"partition-id": client, "round": plan.round, "lr": plan.lr,
                               "weight": plan.weights[plan.cohort.index(client)],
                               "bits": plan.bits if plan.bits is not None else -1}
        if plan.bits is not None:
            out.update({"peer-ids": list(plan.cohort), "peer-keys": [self.members[c][2] for c in plan.cohort]})
        return out

    def close_round(self, plan: RoundPlan, uploads: list[np.ndarray], reports: list[dict[str, Any]]) -> None:
        """Combine the uploads, score the new global model on the server's validation rows, log the round."""
        self.server.close_round(plan, uploads if plan.bits is not None else [torch.from_numpy(u) for u in uploads])
        rows = sum(r["num-examples"] for r in reports)
        logs: dict[str, Any] = {"epoch": plan.round, "round": plan.round, "clients": len(plan.cohort), "lr": plan.lr,
                                "bytes": self.server.round_bytes(plan),
                                "train_loss": sum(r["train-loss"] * r["num-examples"] for r in reports) / rows
                                if rows else float("nan")}
        if self.eval is not None:
            logs.update({f"val_{k}": v for k, v in self._score(self.eval).items()})
            self.stopper.on_epoch_end(logs)
        self.history.append(logs)
        write_json(self.out_dir / "history.json", self.history)

    def _score(self, split: Split) -> dict[str, float]:
        info = self.settings.info
        return evaluate(self.model, split, Objective(info.task), n_classes=info.n_outputs)

    def finish(self) -> None:
        """With validation rows, the model goes back to the best round's weights (as the simulation keeps them)."""
        if self.eval is not None:
            self.stopper.on_train_end({})

    def save(self, client_reports: dict[int, dict[str, Any]]) -> None:
        """``summary.json`` (rounds, bytes, test quality, spread across nodes), ``history.json`` and the model."""
        from sizeup.checkpoint import save_model
        from sizeup.federated.summary import spread

        metric = self.settings.metric
        per_client = [client_reports.get(i, {}).get(metric) for i in range(self.clients)]
        summary: dict[str, Any] = {
            "rounds": len(self.history), "clients": self.clients, "best_round": self.stopper.best_epoch,
            "bytes_per_round": sum(h["bytes"] for h in self.history) / max(len(self.history), 1),
            "bytes_total": sum(h["bytes"] for h in self.history), "model_bytes": self.server.payload,
            f"client_test_{metric}": per_client, **spread(per_client, f"client_test_{metric}")}
        if self.test is not None:
            summary.update({f"test_{k}": v for k, v in self._score(self.test).items()})
        write_json(self.out_dir / "summary.json", summary)
        save_model(self.model, self.settings.info, self.out_dir / "model",
                   extra={"train": dataclasses.asdict(self.settings.train), "federated": self.spec.model_dump()})
