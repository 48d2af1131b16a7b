"""A Rich progress bar driven by training-loop events (drawn on stderr, so ``--json`` stdout stays clean)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from sizeup.cli._common import stderr
from sizeup.training.callbacks import Callback

__all__ = ["TrainingProgress"]


class TrainingProgress(Callback):
    """Steps done of the planned total, the latest loss, and the validation metric after each epoch."""

    def __init__(self, description: str, metric: str) -> None:
        self.description, self.metric = description, metric
        self.progress = Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[status]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=stderr, transient=False,
        )

    def on_train_begin(self, logs: dict[str, Any]) -> None:
        self.progress.start()
        total = logs["epochs"] * logs["steps_per_epoch"]
        # the columns are markup templates: a data source such as "runs/[v2]/x.csv" must show as written
        self.task = self.progress.add_task(escape(self.description), total=total, status="")

    def on_step_end(self, logs: dict[str, Any]) -> None:
        if logs["step"] % 10 == 0:
            self.progress.update(self.task, completed=logs["step"])

    def on_epoch_end(self, logs: dict[str, Any]) -> None:
        value = logs.get(f"val_{self.metric}", float("nan"))
        self.progress.update(self.task, completed=logs["step"],
                             status=f"epoch {logs['epoch']} loss {logs['train_loss']:.3f} val_{self.metric} {value:.4f}")

    def on_train_end(self, logs: dict[str, Any]) -> None:
        self.progress.update(self.task, total=logs["steps"], completed=logs["steps"])
        self.progress.stop()
