"""A run folder read back from its files: the leaderboard, the recommendation, the winner's config and estimated
costs, the learning curves, the data summary, and the explanations when ``sizeup explain`` ran.

The report is rendered from these files alone (what ``sizeup search`` wrote in the run folder), so ``sizeup report``
re-renders any finished run without the search in memory, and every row the search ranked, compressed ones too,
reaches the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sizeup._io import read_json
from sizeup.data.bundle import DataInfo
from sizeup.errors import SizeupError

__all__ = ["RunView", "load_run", "history_of", "EXPLANATIONS", "LEADERBOARD", "RECOMMENDATION"]

LEADERBOARD, RECOMMENDATION, EXPLANATIONS = "leaderboard.csv", "recommendation.json", "explain/explanations.json"
OPTIONAL = {"data_summary": "data_summary.json", "estimates": "estimates.json", "explanations": EXPLANATIONS,
            "history": "history.json", "scaling": "scaling.json", "privacy": "privacy.json"}


@dataclass
class RunView:
    """Everything the report shows, as data."""

    out_dir: Path
    name: str
    metric: str
    higher: bool
    limits: dict[str, float]
    families: list[str]
    source: str
    board: pd.DataFrame
    front: pd.DataFrame
    front_params: pd.DataFrame
    recommendation: dict[str, Any]
    winner: dict[str, Any] | None  # best/config.json
    info: DataInfo | None
    data_summary: dict[str, Any] | None = None
    estimates: dict[str, Any] | None = None
    explanations: dict[str, Any] | None = None
    history: dict[str, Any] | None = None
    scaling: dict[str, Any] | None = None
    privacy: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def quality(self) -> str:
        return f"val_{self.metric}"


def _board(out_dir: Path) -> pd.DataFrame:
    path = out_dir / LEADERBOARD
    try:
        board = pd.read_csv(path, dtype={"id": str, "model_dir": str, "compression": str}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SizeupError(f"{path} is not a readable leaderboard ({type(exc).__name__}); the file is damaged") from None
    for col in ("compression", "model_dir", "reason", "model"):
        if col in board:
            board[col] = board[col].fillna("")
    return board


def load_run(out_dir: str | Path) -> RunView:
    """Read a run folder; missing optional pieces (no winner yet, no explanations) are simply absent."""
    from sizeup.selection.leaderboard import pareto_front

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise SizeupError(f"run folder {str(out_dir)!r} not found; pass the folder a search wrote, e.g. runs/mnist1d")
    for name in (LEADERBOARD, RECOMMENDATION):
        if not (out_dir / name).is_file():
            raise SizeupError(f"{out_dir / name} not found; give a run folder written by `sizeup search` that has "
                              "finished (run the search again to resume it)")
    rec = read_json(out_dir / RECOMMENDATION)
    task = read_json(out_dir / "task.json") if (out_dir / "task.json").is_file() else {}
    metric, higher = rec.get("metric", "accuracy"), bool(rec.get("higher_is_better", True))
    board, q = _board(out_dir), f"val_{metric}"
    front = pareto_front(board, q, "latency_ms", higher_is_better=higher) if not board.empty else board
    front_params = pareto_front(board, q, "params", higher_is_better=higher) if not board.empty else board
    best = out_dir / "best" / "config.json"
    winner = read_json(best) if best.is_file() else None
    extras = {key: read_json(out_dir / name) for key, name in OPTIONAL.items() if (out_dir / name).is_file()}
    return RunView(out_dir, task.get("name", out_dir.name), metric, higher, rec.get("constraints", {}),
                   rec.get("families", []), str(task.get("data", {}).get("source", "?")), board, front, front_params,
                   rec, winner, DataInfo.from_dict(winner["data"]) if winner else None, **extras)


def history_of(run: RunView, trial: int) -> list[dict[str, Any]]:
    """The per-epoch log of a trial (``history.json``)."""
    return ((run.history or {}).get(str(trial)) or {}).get("history") or []

