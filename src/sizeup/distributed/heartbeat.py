"""Heartbeats: how a worker that died mid-trial is told apart from one still training.

Each running trial carries a system attribute ``sizeup:heartbeat`` that its worker rewrites every few
seconds: which machine and process own it, a token for this claim, and the time. A trial is stale when
its owner's process is gone (checked directly on the owner's own machine, so a ``kill -9`` is noticed at
once) or when its heartbeat is older than the grace period (another machine: clocks must agree to well
within the grace period, as NTP keeps them).

Optuna has a heartbeat of its own, but only in ``RDBStorage`` (not the journal), only inside
``study.optimize``, and a stale trial it finds is marked FAIL; its ``RetryFailedTrialCallback`` then
re-runs the parameters under a new trial number. sizeup re-queues the trial itself instead, so it runs
again under its own number and with the parameters it had drawn: the resumed study is the one an
uninterrupted run would have produced.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial

__all__ = ["KEY", "INTERVAL_S", "GRACE_S", "host_id", "pid_alive", "Heartbeat", "is_stale", "beat_of"]

KEY = "sizeup:heartbeat"
INTERVAL_S = 10.0  # a write per worker every 10 s costs nothing next to a trial, even on SQLite
GRACE_S = 60.0  # a worker on another machine is presumed dead after 60 s of silence


def host_id() -> str:
    """This machine and PID namespace: two containers that share a host name still differ here."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()}/{boot}/{namespace}"


def beat_of(trial: FrozenTrial) -> dict[str, Any] | None:
    return trial.system_attrs.get(KEY)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (one owned by another user counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_stale(beat: dict[str, Any] | None, *, grace: float = GRACE_S, now: float | None = None,
             here: str | None = None) -> bool:
    """Whether a RUNNING trial's owner is gone. A trial with no heartbeat was left by a process that was
    not a sizeup worker (or by an older sizeup): nobody can be running it."""
    if not beat:
        return True
    if beat.get("host") == (here or host_id()) and not pid_alive(int(beat.get("pid", -1))):
        return True
    return (now if now is not None else time.time()) - float(beat.get("t", 0.0)) > grace


@dataclass
class Heartbeat:
    """Rewrites a trial's heartbeat from a daemon thread while the trial runs (``with Heartbeat(...):``).

    ``lost`` turns True when the trial was taken over (another worker's token is on it, or it was finished
    elsewhere): this worker was silent past the grace period and presumed dead, and its result is dropped.
    """

    storage: optuna.storages.BaseStorage
    trial_id: int
    interval: float = INTERVAL_S
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    lost: bool = False

    def value(self) -> dict[str, Any]:
        return {"host": host_id(), "pid": os.getpid(), "token": self.token, "t": time.time()}

    def write(self) -> None:
        self.storage.set_trial_system_attr(self.trial_id, KEY, self.value())

    def _still_ours(self) -> bool:
        beat = self.storage.get_trial(self.trial_id).system_attrs.get(KEY) or {}
        return beat.get("token") == self.token

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self._still_ours():
                    self.lost = True
                    return
                self.write()
            except UpdateFinishedTrialError:
                self.lost = True
                return
            except Exception:  # noqa: BLE001 - a storage hiccup: the next beat retries; the grace period absorbs it
                continue

    def __enter__(self) -> Heartbeat:
        self.write()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sizeup-heartbeat-{self.trial_id}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        if not self.lost:
            try:
                self.lost = not self._still_ours()
            except Exception:  # noqa: BLE001 - the storage is unreachable: tell() will report it
                pass
