"""Scaling out: study storages shared by many workers, heartbeats that recover a dead worker's trial under its
own number, the process and Ray launchers, and data-parallel training of one candidate through torchrun.

This package runs what the search hands it (a picklable worker function and its arguments); it knows no
search. Ray is imported only when the Ray backend is used (``pip install 'sizeup[distributed]'``).
"""

from __future__ import annotations

import importlib

from sizeup.distributed.claims import claim_next, release, requeue_stale, running_alive
from sizeup.distributed.heartbeat import GRACE_S, INTERVAL_S, Heartbeat, is_stale
from sizeup.distributed.loop import Plan, read_plan, reserve_slots, run_trials, write_plan
from sizeup.distributed.processes import join_processes, start_processes
from sizeup.distributed.storage import StorageURL, claim_lock, describe_url, open_storage, parse_storage

# torch.distributed is imported only by what trains: a worker of a study need not load it to claim trials
_LAZY = {"DataParallel": "sizeup.distributed.ddp", "train_parallel": "sizeup.distributed.torchrun",
         "DataParallelRun": "sizeup.distributed.torchrun"}

__all__ = ["train_parallel", "DataParallelRun", "DataParallel", "parse_storage", "open_storage", "StorageURL",
           "describe_url", "claim_lock", "Heartbeat", "is_stale", "INTERVAL_S", "GRACE_S", "requeue_stale",
           "claim_next", "release", "running_alive", "Plan", "read_plan", "write_plan", "reserve_slots",
           "run_trials", "start_processes", "join_processes"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'sizeup.distributed' has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name]), name)
