"""The figures a federated run reports beside ``fit``'s: rounds, rounds to the target, bytes, spread across clients."""

from __future__ import annotations

import math
import statistics
from typing import Any

from torch import nn

from sizeup.data.bundle import DataBundle
from sizeup.training.evaluate import evaluate
from sizeup.training.metrics import higher_is_better
from sizeup.training.objectives import Objective

__all__ = ["run_summary", "rounds_to_target", "client_quality", "spread"]


def rounds_to_target(history: list[dict[str, Any]], metric: str, target: float | None) -> int | None:
    """The first round whose global validation ``metric`` reached ``target`` (None: never, or no target)."""
    if target is None:
        return None
    better = higher_is_better(metric)
    for logs in history:
        value = logs.get(f"val_{metric}", math.nan)
        if math.isfinite(value) and (value >= target if better else value <= target):
            return int(logs["round"])
    return None


def client_quality(model: nn.Module, shards: list[DataBundle], metric: str) -> list[float | None]:
    """The global model's ``metric`` on each client's share of the test split (None: the client has none)."""
    out: list[float | None] = []
    for shard in shards:
        info = shard.info
        if len(shard.test) == 0:
            out.append(None)
            continue
        out.append(evaluate(model, shard.test, Objective(info.task), n_classes=info.n_outputs)[metric])
    return out


def spread(per_client: list[float | None], name: str) -> dict[str, float | None]:
    """``name``'s minimum, mean, maximum and standard deviation over the clients that have a value."""
    scored = [v for v in per_client if v is not None]
    if not scored:
        return {f"{name}_{s}": None for s in ("min", "mean", "max", "std")}
    return {f"{name}_min": min(scored), f"{name}_mean": statistics.fmean(scored), f"{name}_max": max(scored),
            f"{name}_std": statistics.pstdev(scored)}


def run_summary(sim, history: list[dict[str, Any]], *, metric: str, epsilon: float | None) -> dict[str, Any]:
    """``FitResult.extra`` of a simulated run: flat figures a leaderboard can show, plus the per-client lists."""
    spec, server = sim.spec, sim.server
    per_client = client_quality(server.model, sim.shards, metric)
    total = sum(h["bytes"] for h in history)
    extra: dict[str, Any] = {
        "federated": True, "clients": spec.clients, "partition": spec.partition, "strategy": spec.strategy,
        "rounds": len(history), "local_epochs": spec.local_epochs, "fraction": spec.fraction,
        "clients_per_round": statistics.fmean(h["clients"] for h in history) if history else 0.0,
        "target": spec.target, "rounds_to_target": rounds_to_target(history, metric, spec.target),
        "model_bytes": server.payload, "bytes_per_round": total / max(len(history), 1), "bytes_total": total,
        "client_rows": sim.part.sizes, "client_classes": sim.part.classes(),
        f"client_test_{metric}": per_client, **spread(per_client, f"client_test_{metric}"),
        "secure_aggregation": spec.secure_aggregation,
    }
    if spec.secure_aggregation:
        extra["clamped_values"] = sum(h["clamped"] for h in history)
    plan = server.plan
    if plan is not None:
        extra.update({"epsilon": epsilon, "delta": plan.delta, "noise_multiplier": plan.noise_multiplier,
                      "dp_clip": plan.clip, "noise_to_signal": plan.noise_to_signal,
                      "clipped_updates": sum(h["clipped"] for h in history)})
    return extra
