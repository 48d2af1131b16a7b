"""``sizeup report``: (re-)render a run's ``report.html`` from its files."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from sizeup.cli._common import emit_json, handle_errors, stderr

__all__ = ["report"]


@handle_errors
def report(
    run: Path = typer.Argument(..., help="Run folder written by `sizeup search`, e.g. runs/mnist1d."),
    json_out: bool = typer.Option(False, "--json", help="Print the page's path, size and figure count as JSON."),
) -> None:
    """Write RUN/report.html: one self-contained page (works offline) with the search, the winner and explanations."""
    from sizeup.report import report_facts, write_report

    facts = report_facts(write_report(run))
    if json_out:
        emit_json(facts)
        return
    stderr.print(Text.assemble("wrote ", (facts["report"], "bold"), f" ({facts['bytes'] / 2**20:.1f} MB, "
                               f"{facts['figures']} figures{', with explanations' if facts['has_explanations'] else ''})"))
