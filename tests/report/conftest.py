"""One real mnist1d search and one real text search per test session, each explained once."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from report_helpers import evil_text_task, mnist1d_task


def _search_and_explain(task: Path, out: Path) -> Path:
    import sizeup

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        sizeup.search(task, trials=int(task.read_text().split("trials = ")[1].split()[0]), max_epochs=2,
                      out=out, export=False)
        sizeup.explain(out, samples=3, wrong=4, task=task)
    finally:
        torch.set_num_threads(threads)
    return out


@pytest.fixture(scope="session")
def mnist1d_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("m1d")
    return _search_and_explain(mnist1d_task(folder), folder / "run")


@pytest.fixture(scope="session")
def evil_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("evil")
    return _search_and_explain(evil_text_task(folder), folder / "run")
