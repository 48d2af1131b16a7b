"""Live search progress on stderr: trials done, best so far, time left, and the trial in training."""

from __future__ import annotations

import time
from typing import Any

import optuna
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from sizeup.cli._common import stderr

__all__ = ["RichSearchProgress"]


class RichSearchProgress:
    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.progress = Progress(TextColumn("[bold]search"), BarColumn(), TextColumn("{task.fields[status]}"),
                                 TimeElapsedColumn(), console=stderr)

    def start(self, *, total: int | None, budget_s: float | None, done: int, plan: str = "") -> None:
        if plan:
            stderr.print(plan, highlight=False, markup=False)
        self.t0, self.total, self.budget, self.done, self.best = time.monotonic(), total, budget_s, done, None
        self.current = ""
        self.progress.start()
        self.bar = self.progress.add_task("search", total=100.0, status="starting")

    def _refresh(self) -> None:
        elapsed = time.monotonic() - self.t0
        fractions = []
        if self.total:
            fractions.append(self.done / self.total)
        if self.budget:
            fractions.append(elapsed / self.budget)
        left = f", {max(0.0, self.budget - elapsed):.0f}s left" if self.budget else ""
        best = f"{self.best:.4f}" if self.best is not None else "-"
        trials = f"{self.done}/{self.total}" if self.total else str(self.done)
        self.progress.update(self.bar, completed=100 * min(1.0, max(fractions or [0.0])),
                             status=escape(f"trials {trials}, best val_{self.metric} {best}{left} | {self.current}"))

    def epoch(self, trial: int, logs: dict[str, Any]) -> None:
        self.current = f"trial {trial} epoch {logs['epoch']} val {logs.get(f'val_{self.metric}', float('nan')):.4f}"
        self._refresh()

    def trial_done(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.done += 1
        status = trial.user_attrs.get("status", trial.state.name.lower())
        self.current = f"trial {trial.number} {status}"
        if status == "completed" and trial.user_attrs.get("feasible"):
            value = trial.value
            higher = study.direction == optuna.study.StudyDirection.MAXIMIZE
            if value is not None and (self.best is None or (value > self.best if higher else value < self.best)):
                self.best = value
        self._refresh()

    def stop(self) -> None:
        self._refresh()
        self.progress.stop()
