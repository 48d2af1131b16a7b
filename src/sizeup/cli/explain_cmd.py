"""``sizeup explain``: attributions (Integrated Gradients), attention maps, confusion matrix, confident mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.text import Text

from sizeup.cli._common import emit_json, handle_errors, stderr

__all__ = ["explain"]


@handle_errors
def explain(
    target: Path = typer.Argument(..., metavar="RUN_OR_MODEL", help="Run folder (explains best/) or a saved model folder."),
    samples: int = typer.Option(6, "--samples", "-n", help="Test examples to attribute."),
    wrong: int = typer.Option(8, help="Most confidently wrong test examples to show."),
    task: Optional[Path] = typer.Option(None, help="Task file whose data the model was trained on [default: the run's]."),
    out: Optional[Path] = typer.Option(None, help="Output folder [default: RUN_OR_MODEL/explain]."),
    device: Optional[str] = typer.Option(None, help="Where to compute the attributions: auto, cpu, cuda, cuda:N or mps [default: auto]."),
    json_out: bool = typer.Option(False, "--json", help="Print the outcome as one JSON object on stdout."),
) -> None:
    """Explain a trained model on test examples and add the figures to the run's report."""
    from sizeup.api import explain as run_explain

    result = run_explain(target, samples=samples, wrong=wrong, task=task, out=out, device=device)
    if json_out:
        emit_json(result)
        return
    stderr.print(f"completeness: worst gap {result.max_completeness_error:.2e} of f(x) - f(baseline) "
                 f"({result.n_steps} steps); attention maps: {'yes' if result.attention else 'no'}")
    stderr.print(Text.assemble("wrote ", (str(result.out_dir), "bold"), " and ", (str(result.page), "bold")))
