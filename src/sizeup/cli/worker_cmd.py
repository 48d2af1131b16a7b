"""``sizeup worker``: join a search's study from any machine and run its trials."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from sizeup.cli._common import emit_json, handle_errors, stderr

__all__ = ["worker"]


@handle_errors
def worker(
    task: Path = typer.Argument(..., help="The task file the search was started with (.toml)."),
    storage: str = typer.Option(..., help="The study's storage, as given to `sizeup search --storage`: "
                                "postgresql://USER@HOST/DB, mysql://USER@HOST/DB, journal:PATH or sqlite:///PATH."),
    out: Optional[Path] = typer.Option(None, help="Folder for this worker's trial checkpoints [default: runs/<task name>]; "
                                       "a folder all workers share lets any of them write the report."),
    threads: Optional[int] = typer.Option(None, help="Torch threads for training [default: every core]."),
    report: bool = typer.Option(False, "--report", help="When no trial is left, write the leaderboard, recommendation "
                                "and report of the study into the output folder, and print them."),
    json_out: bool = typer.Option(False, "--json", help="Print the results as one JSON object on stdout."),
    top: int = typer.Option(15, help="Rows of the leaderboard to print (with --report)."),
) -> None:
    """Run trials of the study a search started until its plan (trial count or time budget) is done."""
    from sizeup.api import search
    from sizeup.cli.search_cmd import print_result, result_payload
    from sizeup.cli.search_progress import RichSearchProgress
    from sizeup.selection import work
    from sizeup.training.run import as_task

    t = as_task(task)
    progress = None if json_out else RichSearchProgress(t.search.metric or "metric")
    result = work(t, storage=storage, out=out, threads=threads, report=report, progress=progress, finish_with=search)
    if json_out:
        emit_json({"trials": result.trials, "out_dir": str(result.out_dir),
                   **({"search": result_payload(result.search)} if result.search is not None else {})})
        return
    stderr.print(f"this worker finished {len(result.trials)} trial(s): {', '.join(map(str, result.trials)) or '-'}")
    if result.search is not None:
        print_result(result.search, top, json_out=False)
