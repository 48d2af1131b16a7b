"""The processes backend: worker functions in spawned processes on this machine.

``spawn`` (not ``fork``) gives every worker a fresh interpreter: no torch thread pool, lock or open
database connection is inherited from the parent.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["start_processes", "join_processes"]


def start_processes(target: Callable[..., Any], arguments: Sequence[tuple[Any, ...]]) -> list[mp.process.BaseProcess]:
    """Start one process per argument tuple; ``target`` must be importable (a module-level function)."""
    spawn = mp.get_context("spawn")
    procs = [spawn.Process(target=target, args=args, daemon=True) for args in arguments]
    for p in procs:
        p.start()
    return procs


def join_processes(procs: Sequence[mp.process.BaseProcess]) -> list[int | None]:
    """Wait for every process; their exit codes (negative: killed by that signal)."""
    for p in procs:
        p.join()
    return [p.exitcode for p in procs]
