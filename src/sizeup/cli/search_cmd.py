"""``sizeup search``: find and recommend the right model for a task, with evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.panel import Panel
from rich.table import Table

from sizeup.cli._common import emit_json, handle_errors, stderr, stdout
from sizeup.errors import SizeupError

__all__ = ["search"]

SHOWN = ["trial", "model", "status", "params", "latency_ms", "train_seconds"]


@handle_errors
def search(
    task: Path = typer.Argument(..., help="Task file (.toml), e.g. examples/mnist1d.toml."),
    budget: Optional[str] = typer.Option(None, help="Time budget, e.g. 90s, 5m [default: the task's [budget] time]."),
    trials: Optional[int] = typer.Option(None, help="Stop after this many trials in the study (with no --budget, trials alone bound the search)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the study in the output folder (re-running does this too)."),
    force: bool = typer.Option(False, help="Start a new study; the previous run folder is renamed with a timestamp, not deleted."),
    workers: int = typer.Option(1, help="Parallel worker processes sharing the study."),
    max_epochs: Optional[int] = typer.Option(None, help="Epochs per trial at most [default: 40]."),
    seed: Optional[int] = typer.Option(None, help="Sampler and training seed [default: the task's [train] seed]."),
    epsilon: Optional[float] = typer.Option(None, help="Train every candidate with DP-SGD at this privacy budget (sets [privacy] epsilon)."),
    out: Optional[Path] = typer.Option(None, help="Run folder [default: runs/<task name>]."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as one JSON object on stdout."),
    top: int = typer.Option(15, help="Rows of the leaderboard to print."),
) -> None:
    """Search the model families that fit the data, print a leaderboard and recommend a model."""
    from sizeup.cli.search_progress import RichSearchProgress
    from sizeup.selection import search as run_search
    from sizeup.training.run import as_task

    if resume and force:
        raise SizeupError("--resume and --force contradict each other; choose one")
    t = as_task(task)
    if epsilon is not None:
        from sizeup.privacy import with_epsilon

        t = with_epsilon(t, epsilon)
    progress = RichSearchProgress(t.search.metric or "metric")
    result = run_search(t, budget=budget, trials=trials, out=out, force=force, workers=workers,
                        max_epochs=max_epochs, seed=seed, progress=progress, resume=resume)
    rec = result.recommended
    if json_out:
        emit_json({"recommended": {"trial": rec.trial, "feasible": rec.feasible, "headline": rec.headline,
                                   "reasons": rec.reasons, **(rec.row or {})},
                   "metric": result.metric, "out_dir": str(result.out_dir),
                   "leaderboard": result.leaderboard.to_dict(orient="records"),
                   "pareto": result.pareto["trial"].tolist()})
        return
    stdout.print(_leaderboard(result, top))
    print_recommendation(stdout, rec)
    stderr.print(f"run folder: [bold]{result.out_dir}[/] (leaderboard.csv, best/, report.html, study.db)")


def print_recommendation(console, rec) -> None:
    """The recommendation's headline and reasons in a panel; long reasons wrap inside it."""
    panel = Panel("\n".join(f"- {r}" for r in rec.reasons), title=rec.headline,
                  border_style="green" if rec.feasible else "red", title_align="left")
    console.print(panel, soft_wrap=False)  # the console soft-wraps by default, which crops a panel's lines


def _leaderboard(result, top: int) -> Table:
    m = result.metric
    cols = SHOWN[:4] + [f"val_{m}", f"test_{m}"] + SHOWN[4:]
    table = Table(title=f"leaderboard ({len(result.leaderboard)} candidates; * = Pareto front, quality vs latency)")
    for c in cols:
        table.add_column(c, justify="left" if c in ("family", "model", "status") else "right", overflow="fold")
    front = set(result.pareto["trial"])
    for _, r in result.leaderboard.head(top).iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if c == "trial":
                cells.append(f"{int(v)}{'*' if v in front else ''}")
            elif v is None or (isinstance(v, float) and v != v):
                cells.append("")
            elif c == "params":
                cells.append(f"{int(v):,}")
            elif isinstance(v, float):
                cells.append(f"{v:.4f}" if c.startswith(("val_", "test_")) else f"{v:.3g}")
            else:
                cells.append(str(v))
        table.add_row(*cells)
    return table
