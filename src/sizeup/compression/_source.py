"""What ``compress`` starts from: a search run (its ``best/`` model) or a saved model folder, plus the task
whose data re-measure quality: from ``--task``, the ``task`` a ``train`` run saved in ``config.json``, or
the ``task.json`` a search saved in its run folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from sizeup._io import read_json
from sizeup.checkpoint import CONFIG, load_model, model_folder
from sizeup.data.bundle import DataBundle
from sizeup.errors import SizeupError
from sizeup.task import Task

__all__ = ["Source", "open_source"]


@dataclass
class Source:
    model_dir: Path
    model: nn.Module
    task: Task
    data: DataBundle


def _task_from_run(model_dir: Path) -> Task | None:
    """The task a search saved in its run folder (``task.json``), looking up from the model folder."""
    for folder in (model_dir, *list(model_dir.parents)[:3]):
        if (folder / "task.json").is_file():
            return Task.from_dict(read_json(folder / "task.json"), origin=str(folder / "task.json"))
    return None


def _task(model_dir: Path, task: Task | str | Path | None) -> Task:
    if task is not None:
        return task if isinstance(task, Task) else Task.from_toml(task)
    saved = read_json(model_dir / CONFIG).get("task")
    if saved:
        return Task.from_dict(saved, origin=str(model_dir / CONFIG))
    found = _task_from_run(model_dir)
    if found is None:
        raise SizeupError(f"no task saved with {model_dir} (no 'task' in {CONFIG}, no task.json in its run folder); "
                          "pass the task file with --task TASK.toml so test quality can be measured")
    return found


def open_source(run_or_model: str | Path, task: Task | str | Path | None = None) -> Source:
    """Load the model and its task's data, and check that they fit each other."""
    from sizeup.data import load_data

    model_dir = model_folder(run_or_model)
    model = load_model(model_dir)
    task = _task(model_dir, task)
    data = load_data(task)
    have, want = data.info, model.info
    if tuple(have.input_shape) != tuple(want.input_shape) or have.n_outputs != want.n_outputs:
        raise SizeupError(f"the task's data ({have.name}: input {tuple(have.input_shape)}, {have.n_outputs} outputs) "
                          f"do not fit the model in {model_dir} (input {tuple(want.input_shape)}, {want.n_outputs} "
                          "outputs); pass the task the model was trained on with --task")
    return Source(model_dir, model, task, data)
