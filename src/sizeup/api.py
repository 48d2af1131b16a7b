"""The public verbs that span several stages, composed here so that each stage imports only the stages below it.

``search`` runs the selection stage with the compressed variants of ``[search] compress`` as an extension, then writes
the report from the run folder's files. ``explain`` explains a model, then re-writes the report of its run, if any.
``train`` trains one model, federatedly when the task has a ``[federated]`` section (``sizeup.federated`` sits above
``sizeup.training``, so the choice is made here).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from sizeup.compression import compress
from sizeup.explanation import Explanation
from sizeup.selection import SearchResult
from sizeup.task import Task
from sizeup.training.run import TrainResult, as_task
from sizeup.training.run import train as _train

__all__ = ["search", "compress", "explain", "train"]


def search(task: Task | str | Path, **options: Any) -> SearchResult:
    """Search, recommend and report (``sizeup.selection.search``'s options); see the README's Search section."""
    from sizeup.compression.candidates import add_compressed_rows
    from sizeup.report import write_report
    from sizeup.selection import search as select

    result = select(task, extend=add_compressed_rows, **options)
    write_report(result.out_dir)
    return result


def explain(run_or_model: str | Path, **options: Any) -> Explanation:
    """Explain a model (``sizeup.explanation.explain``'s options); a run's report then shows the explanations."""
    from sizeup.explanation import explain as explain_model
    from sizeup.report import write_explanations_page, write_report

    result = explain_model(run_or_model, **options)
    if result.run is not None and result.in_run_folder:
        result.page = write_report(result.run)
    else:
        result.page = write_explanations_page(result)
    return result


def train(task: Task | str | Path, family: str, **kwargs: Any) -> TrainResult:
    """:func:`sizeup.training.run.train`, with :func:`sizeup.federated.fit_federated` as the training procedure
    when the task has ``[federated]``: each round's sampled clients train with the same loop on their own rows."""
    task = as_task(task)
    if task.federated is not None and "fit_fn" not in kwargs:
        from sizeup.federated import fit_federated

        kwargs["fit_fn"] = functools.partial(fit_federated, spec=task.federated)
    return _train(task, family, **kwargs)
