"""``sizeup mask``: a masked copy of a CSV / TSV / Parquet table's text columns, or of a ``.txt`` file.

The original is never written to: the copy goes to a new path (``<name>.masked<suffix>`` beside it by default),
an output that resolves to the original is refused, and an existing output is kept unless ``force``. Tables are
read with every column as text (CSV) so the columns that are not masked come back exactly as they were.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sizeup._io import atomic_path
from sizeup.data.pii import PII_TYPES, mask_columns
from sizeup.errors import SizeupError

__all__ = ["MaskResult", "mask_file", "default_output"]

_TABLES = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}


@dataclass
class MaskResult:
    source: Path
    out: Path
    columns: list[str]
    counts: dict[str, Any]  # per type before and after masking (sizeup.data.pii.MaskCounts), and the columns

    def to_dict(self) -> dict[str, Any]:
        return {"source": str(self.source), "out": str(self.out), "columns": self.columns, **self.counts}


def default_output(path: Path) -> Path:
    """``data/reviews.csv`` -> ``data/reviews.masked.csv``."""
    return path.with_name(f"{path.stem}.masked{path.suffix}")


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return "text"
    if suffix not in _TABLES:
        raise SizeupError(f"{path}: unknown file type {path.suffix or path.name!r}; "
                          "sizeup mask reads .csv, .tsv, .parquet or .txt")
    return _TABLES[suffix]


def _check_paths(path: Path, out: Path, *, force: bool) -> None:
    if not path.is_file():
        raise SizeupError(f"{path} not found; give the file to mask (.csv, .tsv, .parquet or .txt)")
    if out.resolve() == path.resolve():
        raise SizeupError(f"--out {out} is the original file; sizeup mask never overwrites it, give another path")
    if out.exists() and not force:
        raise SizeupError(f"{out} already exists; pass --force to overwrite it, or --out to write elsewhere")


def mask_file(path: str | Path, *, columns: list[str] | None = None, types: list[str] | None = None,
              out: str | Path | None = None, force: bool = False) -> MaskResult:
    """Write a masked copy of ``path``: the named text ``columns`` of a table, or every line of a ``.txt`` file."""
    path = Path(path)
    kind = _kind(path)
    out = Path(out) if out else default_output(path)
    _check_paths(path, out, force=force)
    types = list(types or PII_TYPES)
    if kind == "text":
        if columns:
            raise SizeupError(f"{path} is a .txt file: it has no columns; leave out --column")
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except UnicodeDecodeError:
            raise SizeupError(f"{path}: not UTF-8 text; save it as UTF-8") from None
        masked, counts = mask_columns({"text": lines}, types)
        with atomic_path(out) as tmp:
            tmp.write_text("\n".join(masked["text"]), encoding="utf-8")
        return MaskResult(path, out, [], counts)
    df = _read(path, kind)
    if not columns:
        raise SizeupError(f"{path}: name the text column(s) to mask with --column; columns are: {', '.join(map(str, df.columns))}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SizeupError(f"{path}: column {missing[0]!r} not found; columns are: {', '.join(map(str, df.columns))}")
    masked, counts = mask_columns({c: ["" if v is None else str(v) for v in df[c].tolist()] for c in columns}, types)
    for c in columns:
        df[c] = masked[c]
    _write(df, out, kind)
    return MaskResult(path, out, list(columns), counts)


def _read(path: Path, kind: str):
    import pandas as pd

    try:
        if kind == "parquet":
            from sizeup._imports import optional_import

            optional_import("pyarrow", extra="parquet", feature="reading Parquet files")
            return pd.read_parquet(path)
        return pd.read_csv(path, sep="\t" if kind == "tsv" else ",", dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise SizeupError(f"{path}: the file is empty; there is nothing to mask") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise SizeupError(f"{path}: cannot read it as {kind} ({str(exc).strip().splitlines()[-1]}); check the file") from None


def _write(df, out: Path, kind: str) -> None:
    with atomic_path(out) as tmp:
        if kind == "parquet":
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, sep="\t" if kind == "tsv" else ",", index=False)
