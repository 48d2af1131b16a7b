"""``sizeup mask``: write a copy of a file with personal data masked (the original is never touched)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from sizeup.cli._common import emit_json, handle_errors, stderr, stdout

__all__ = ["mask"]


@handle_errors
def mask(
    file: Path = typer.Argument(..., help="A .csv, .tsv, .parquet or .txt file."),
    column: Optional[list[str]] = typer.Option(None, "--column", "-c", help="Text column to mask (repeatable; tables only)."),
    types: Optional[list[str]] = typer.Option(None, "--types", "-t", help="PII types to mask (repeatable or comma-separated): phone, id_card, email, bank_card, ip, url [default: all]."),
    out: Optional[Path] = typer.Option(None, help="Where the masked copy goes [default: <name>.masked<suffix> beside FILE]."),
    force: bool = typer.Option(False, help="Overwrite an existing output file (never the original)."),
    json_out: bool = typer.Option(False, "--json", help="Print the counts as one JSON object on stdout."),
) -> None:
    """Mask phone numbers, ID numbers, e-mail addresses, bank cards, IP addresses and URLs in a copy of FILE."""
    from sizeup.data.mask_file import mask_file

    chosen = [t.strip() for item in (types or []) for t in item.split(",") if t.strip()] or None
    result = mask_file(file, columns=column, types=chosen, out=out, force=force)
    if json_out:
        emit_json(result.to_dict())
        return
    table = Table(title=f"PII in {file} ({', '.join(result.columns) or 'every line'}): {result.counts['texts_changed']:,} "
                        f"of {result.counts['texts']:,} texts changed", title_justify="left")
    for col in ("type", "found before", "left after"):
        table.add_column(col, justify="left" if col == "type" else "right")
    for t in result.counts["types"]:
        table.add_row(t, f"{result.counts['before'][t]:,}", f"{result.counts['after'][t]:,}")
    stdout.print(table)
    stderr.print(f"wrote [bold]{result.out}[/] ({file} is unchanged)")
