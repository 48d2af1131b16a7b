"""``sizeup search``: find and recommend the right model for a task, with evidence."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from sizeup.cli._common import emit_json, handle_errors, plain, stderr, stdout
from sizeup.errors import SizeupError

__all__ = ["search", "print_result"]

SHOWN = ["id", "model", "status", "params", "latency_ms", "train_seconds"]


@handle_errors
def search(
    task: Path = typer.Argument(..., help="Task file (.toml), e.g. examples/mnist1d.toml."),
    budget: Optional[str] = typer.Option(None, help="Time budget, e.g. 90s, 5m [default: the task's [budget] time]."),
    trials: Optional[int] = typer.Option(None, help="Stop after this many trials in the study (with no --budget, trials alone bound the search)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the study in the output folder (re-running does this too)."),
    force: bool = typer.Option(False, help="Start a new study; the previous run folder is renamed with a timestamp, not deleted."),
    workers: Optional[int] = typer.Option(None, help="Parallel workers sharing the study (processes here, or Ray tasks) [default: one per visible GPU when training on cuda, else 1]."),
    device: Optional[str] = typer.Option(None, help="Where candidates train: auto, cpu, cuda, cuda:N or mps [default: the task's [train] device, else auto]. Constraints are measured on [constraints] device, else here."),
    storage: Optional[str] = typer.Option(None, help="Where the study lives: sqlite:///PATH, postgresql://USER@HOST/DB, "
                                          "mysql://USER@HOST/DB or journal:PATH; workers on other machines join it "
                                          "with `sizeup worker` [default: sqlite in the run folder]."),
    backend: str = typer.Option("processes", help="Where the workers run: processes (this machine) or ray."),
    address: Optional[str] = typer.Option(None, help="With --backend ray: the cluster to join, auto or HOST:PORT "
                                          "[default: start a local Ray]."),
    max_epochs: Optional[int] = typer.Option(None, help="Epochs per trial at most [default: 40]."),
    seed: Optional[int] = typer.Option(None, help="Sampler and training seed [default: the task's [train] seed]."),
    epsilon: Optional[float] = typer.Option(None, help="Train every candidate with DP-SGD at this privacy budget (sets [privacy] epsilon)."),
    out: Optional[Path] = typer.Option(None, help="Run folder [default: runs/<task name>]."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as one JSON object on stdout."),
    top: int = typer.Option(15, help="Rows of the leaderboard to print."),
) -> None:
    """Search the model families that fit the data, print a leaderboard and recommend a model."""
    from sizeup.task import Task

    if resume and force:
        raise SizeupError("--resume and --force contradict each other; choose one")
    t = Task.from_toml(task)  # a bad task file fails here, before torch and Optuna are imported
    if epsilon is not None:
        from sizeup.privacy import with_epsilon

        t = with_epsilon(t, epsilon)

    from sizeup.api import search as run_search
    from sizeup.cli.search_progress import RichSearchProgress

    imports = _process_age()
    progress = RichSearchProgress(t.search.metric or "metric")
    result = run_search(t, budget=budget, trials=trials, out=out, force=force, workers=workers,
                        max_epochs=max_epochs, seed=seed, progress=progress, resume=resume, device=device,
                        storage=storage, backend=backend, address=address)
    print_result(result, top, json_out=json_out)
    if json_out:
        return
    t = result.timing
    startup = (imports or 0.0) + t.get("data_seconds", 0.0)
    stderr.print(f"start-up (before the budget): {startup:.1f} s (imports {imports or 0:.1f} s, data "
                 f"{t.get('data_seconds', 0):.1f} s); trials {t.get('trials_seconds', 0):.0f} s; finishing "
                 f"{t.get('finishing_seconds', 0):.1f} s", highlight=False, markup=False)
    stderr.print(Text.assemble("run folder: ", (str(result.out_dir), "bold"),
                               f" (leaderboard.csv, best/, report.html{', study.db' if storage is None else ''})"))


def print_result(result, top: int, *, json_out: bool) -> None:
    """The leaderboard and the recommendation (``sizeup worker --report`` prints the same)."""
    if json_out:
        emit_json(result_payload(result))
        return
    stdout.print(_leaderboard(result, top))
    print_recommendation(stdout, result.recommended)


def result_payload(result) -> dict:
    rec = result.recommended
    return {"recommended": {"id": rec.id, "trial": rec.trial, "feasible": rec.feasible, "headline": rec.headline,
                            "reasons": rec.reasons, **(rec.row or {})},
            "metric": result.metric, "out_dir": str(result.out_dir),
            "leaderboard": result.leaderboard.to_dict(orient="records"),
            "pareto": result.pareto["id"].tolist(), "timing": result.timing, "plan": result.plan}


def print_recommendation(console, rec) -> None:
    """The recommendation's headline and reasons in a panel; long reasons wrap inside it."""
    panel = Panel(plain("\n".join(f"- {r}" for r in rec.reasons)), title=plain(rec.headline),
                  border_style="green" if rec.feasible else "red", title_align="left")
    console.print(panel, soft_wrap=False)  # the console soft-wraps by default, which crops a panel's lines


def _leaderboard(result, top: int) -> Table:
    m = result.metric
    cols = SHOWN[:4] + [f"val_{m}", f"test_{m}"] + SHOWN[4:]
    table = Table(title=f"leaderboard ({len(result.leaderboard)} candidates; * = Pareto front, quality vs latency; "
                        "val ± its standard error)")
    for c in cols:
        table.add_column("trial" if c == "id" else c, justify="left" if c in ("model", "status") else "right",
                         overflow="fold")
    front = set(result.pareto["id"])
    for _, r in result.leaderboard.head(top).iterrows():
        table.add_row(*[plain(_cell(r, c, front)) for c in cols])  # model names hold lists such as kernels=[3, 5]
    return table


def _cell(r, c: str, front: set) -> str:
    v = r[c]
    if c == "id":
        return f"{v}{'*' if v in front else ''}"
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if c == "params":
        return f"{int(v):,}"
    se = r.get(f"{c}_se") if c.startswith("val_") else None
    if se is not None and se == se:
        return f"{v:.4f} ±{se:.4f}"
    if isinstance(v, float):
        return f"{v:.4f}" if c.startswith(("val_", "test_")) else f"{v:.3g}"
    return str(v)


def _process_age() -> float | None:
    """Seconds since this process started (Linux ``/proc``): the imports' share of the start-up."""
    try:
        ticks = os.sysconf("SC_CLK_TCK")
        start = int(open("/proc/self/stat", encoding="ascii").read().rsplit(")", 1)[1].split()[19]) / ticks
        uptime = float(open("/proc/uptime", encoding="ascii").read().split()[0])
        return max(0.0, uptime - start)
    except (OSError, ValueError, IndexError):
        return None
