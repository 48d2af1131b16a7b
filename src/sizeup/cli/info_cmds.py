"""``sizeup datasets`` and ``sizeup families``: what is available, as tables or JSON."""

from __future__ import annotations

import dataclasses

import typer
from rich.table import Table

from sizeup.cli._common import emit_json, handle_errors, stdout

__all__ = ["datasets", "families"]


@handle_errors
def datasets(json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the bundled data sets that work offline."""
    from sizeup.data import list_datasets

    rows = [{k: v for k, v in dataclasses.asdict(d).items() if k != "loader"} for d in list_datasets()]
    if json_out:
        emit_json(rows)
        return
    table = Table(title="bundled data sets (offline)")
    for col in ("name", "input kind", "classes", "metric", "size", "source"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["input_kind"], str(r["classes"]), r["metric"], r["size"], r["source"])
    stdout.print(table)


@handle_errors
def families(json_out: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List the model families, the inputs each fits, their knobs and presets."""
    from sizeup.zoo import get_family, list_families

    rows = []
    for name in list_families():
        fam = get_family(name)
        defaults = dataclasses.asdict(fam.config_cls())
        rows.append({"family": name, "inputs": sorted(fam.input_kinds), "knobs": defaults,
                     "presets": list(fam.presets), "description": fam.description})
    if json_out:
        emit_json(rows)
        return
    table = Table(title="model families")
    for col in ("family", "fits", "knobs (defaults)", "presets", "what it is"):
        table.add_column(col)
    for r in rows:
        knobs = ", ".join(f"{k}={v}" for k, v in r["knobs"].items())
        table.add_row(r["family"], ", ".join(r["inputs"]), knobs, ", ".join(r["presets"]), r["description"])
    stdout.print(table)
