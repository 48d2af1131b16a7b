"""A run folder read back from disk: the study, its settings, the recommendation and the winner's config.

The report is rendered from these files alone, so ``sizeup report`` can re-render any finished (or
interrupted) run without the search in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
import pandas as pd

from sizeup._io import read_json
from sizeup.data.bundle import DataBundle, DataInfo
from sizeup.errors import SizeupError

__all__ = ["RunView", "load_run", "summarize_data", "DATA_SUMMARY", "EXPLANATIONS", "SCALING"]

DATA_SUMMARY = "data_summary.json"
EXPLANATIONS = "explain/explanations.json"
SCALING = "scaling.json"


@dataclass
class RunView:
    """Everything the report shows, as data."""

    out_dir: Path
    name: str
    metric: str
    higher: bool
    limits: dict[str, float]
    settings: dict[str, Any]
    board: pd.DataFrame
    front: pd.DataFrame
    front_params: pd.DataFrame
    trials: list[optuna.trial.FrozenTrial]
    recommendation: dict[str, Any]
    winner: dict[str, Any] | None  # best/config.json
    info: DataInfo | None
    data_summary: dict[str, Any] | None
    explanations: dict[str, Any] | None = None
    scaling: dict[str, Any] | None = None  # scaling.json: quality-vs-size fits per family
    notes: list[str] = field(default_factory=list)

    @property
    def quality(self) -> str:
        return f"val_{self.metric}"


def _study(out_dir: Path) -> optuna.Study:
    from sizeup.selection.study import STUDY_DB, storage_url

    if not (out_dir / STUDY_DB).is_file():
        raise SizeupError(f"{out_dir / STUDY_DB} not found; give a run folder written by `sizeup search` (e.g. runs/mnist1d)")
    url = storage_url(out_dir)
    names = optuna.get_all_study_names(url)
    if len(names) != 1:
        raise SizeupError(f"{out_dir / STUDY_DB} holds {len(names)} studies; a sizeup run folder holds exactly one")
    return optuna.load_study(study_name=names[0], storage=url)


def load_run(out_dir: str | Path) -> RunView:
    """Read a run folder; missing optional pieces (no winner yet, no explanations) are simply absent."""
    from sizeup.selection.leaderboard import leaderboard, pareto_front

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise SizeupError(f"run folder {str(out_dir)!r} not found; pass the folder a search wrote, e.g. runs/mnist1d")
    study = _study(out_dir)
    settings = study.user_attrs.get("settings", {})
    metric = settings.get("metric", "accuracy")
    higher = study.direction == optuna.study.StudyDirection.MAXIMIZE
    board = leaderboard(study, metric, higher_is_better=higher)
    q = f"val_{metric}"
    front = pareto_front(board, q, "latency_ms", higher_is_better=higher) if not board.empty else board
    front_params = pareto_front(board, q, "params", higher_is_better=higher) if not board.empty else board
    rec_path, best = out_dir / "recommendation.json", out_dir / "best" / "config.json"
    rec = read_json(rec_path) if rec_path.is_file() else {"trial": None, "feasible": False,
                                                          "headline": "the search has not finished", "reasons": []}
    winner = read_json(best) if best.is_file() else None
    info = DataInfo.from_dict(winner["data"]) if winner else None
    summary = read_json(out_dir / DATA_SUMMARY) if (out_dir / DATA_SUMMARY).is_file() else None
    expl = read_json(out_dir / EXPLANATIONS) if (out_dir / EXPLANATIONS).is_file() else None
    scaling = read_json(out_dir / SCALING) if (out_dir / SCALING).is_file() else None
    return RunView(out_dir, study.study_name, metric, higher, settings.get("limits", {}), settings, board, front,
                   front_params, study.get_trials(deepcopy=False), rec, winner, info, summary, expl, scaling)


def summarize_data(data: DataBundle) -> dict[str, Any]:
    """Split sizes, input kind and shape, and (for classification) the class counts of every split."""
    info = data.info
    out: dict[str, Any] = {"name": info.name, "input_kind": info.input_kind, "task": info.task,
                           "input_shape": list(info.input_shape), "n_outputs": info.n_outputs,
                           "sizes": {"train": len(data.train), "val": len(data.val), "test": len(data.test)},
                           "class_names": info.class_names}
    if info.task == "classification":
        out["class_counts"] = {name: split.y.long().bincount(minlength=info.n_outputs).tolist()
                               for name, split in (("train", data.train), ("val", data.val), ("test", data.test))}
    return out
