"""The Ray backend: worker functions as Ray tasks, each asking for the CPUs (and GPUs) its trials need.

Ray only places and launches the workers. Optuna stays the coordinator: the workers claim, sample, prune
and record trials in the study's storage exactly as local processes do. Ray Tune's ``OptunaSearch`` is not
used because it creates its study with ``NopPruner`` (Optuna's pruners cannot stop its trials), tells a
trial that a Tune scheduler stopped early as COMPLETE with its partial-budget value, and restores through
Tune's own experiment state rather than the study (see docs/distributed.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sizeup._imports import optional_import
from sizeup.errors import SizeupError

__all__ = ["RayCluster", "connect", "run_tasks", "disconnect"]

OBJECT_STORE_BYTES = 256 * 2**20  # a local cluster passes task arguments and results, nothing large


@dataclass(frozen=True)
class RayCluster:
    started_here: bool  # a local cluster this process started (and stops); False: joined an existing one
    cpus: float
    gpus: float
    nodes: int


def _ray():
    return optional_import("ray", extra="distributed", feature="--backend ray")


def connect(address: str | None = None, *, num_cpus: int | None = None) -> RayCluster:
    """Join the cluster at ``address`` ("auto" or HOST:PORT), or start a local one with ``num_cpus`` CPUs.

    A Ray already initialised in this process (by the caller, or a test session) is used as it is.
    """
    ray = _ray()
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address is None:
            kwargs.update(num_cpus=num_cpus, object_store_memory=OBJECT_STORE_BYTES)
        try:
            ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise SizeupError(f"--address {address!r}: cannot join a Ray cluster there ({first[:160]}); start one with "
                              "`ray start --head`, or drop --address to run a local one") from None
        started = address is None
    res = ray.cluster_resources()
    nodes = sum(1 for n in ray.nodes() if n.get("Alive"))
    return RayCluster(started, float(res.get("CPU", 0)), float(res.get("GPU", 0)), nodes)


def run_tasks(fn: Callable[..., Any], arguments: Sequence[tuple[Any, ...]], *, num_cpus: float, num_gpus: float = 0.0,
              on_wait: Callable[[], None] | None = None, poll: float = 1.0) -> list[Any]:
    """Run ``fn(*args)`` as one Ray task per argument tuple; each result, or the exception a task ended in.

    ``fn`` must be importable on the cluster's nodes (sizeup installed there). A task whose worker process
    dies is retried by Ray; its claimed trial is re-queued by the study's heartbeat, not lost.
    """
    ray = _ray()
    remote = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus)(fn)
    pending = {remote.remote(*args): i for i, args in enumerate(arguments)}
    results: list[Any] = [None] * len(pending)
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1, timeout=poll)
        for ref in ready:
            i = pending.pop(ref)
            try:
                results[i] = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - RayTaskError, WorkerCrashedError...: reported, the study recovers
                results[i] = exc
        if on_wait is not None:
            on_wait()
    return results


def disconnect(cluster: RayCluster) -> None:
    if cluster.started_here:
        _ray().shutdown()
