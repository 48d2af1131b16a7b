"""Shared by the benchmark cases: arguments, the machine, median (min–max), the raw-figures JSON, summary rows.

Timing goes through :func:`sizeup.measurement.time_call`, so benchmarks measure the same way as sizeup does.

The case contract (``benchmarks/run.py`` relies on it; a new case follows it and adds one line to
``run.CASES``): a module in ``benchmarks/`` with

* ``run(quick: bool = False, **options) -> dict``: runs the case and returns its raw figures (a JSON-able
  dict). It includes ``"summary"``: a list of :func:`row` dicts, the case's headline figures;
* optionally ``render(payload: dict) -> str``: the case's Markdown section for ``docs/benchmarks.md``;
  without it the runner renders the summary rows and the rest of the payload generically;
* optionally ``summary_rows(payload: dict) -> list[dict]``: rebuilds the rows from the raw figures (used for
  result files written before the case returned a summary).

The runner adds ``command`` and ``machine`` when it writes ``<results-dir>/<case>.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

import torch

from sizeup.measurement import device_name, time_call

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
VERSIONED = ("sizeup", "torch", "optuna", "keras", "scikit-learn", "numpy", "onnxruntime")


def row(figure: str, value: str, *, bar: str | None = None, met: bool | None = None,
        issue: str | None = None, ratio: float | None = None) -> dict[str, Any]:
    """One line of the doc's summary table: what was measured, its value, the bar it is held to (if any),
    and whether the bar is met (``None``: information, no bar). ``issue`` names the issue the bar comes from.
    ``ratio``: the row's headline ratio as a number, the figure a rerun must reproduce within ±20 %
    (``benchmarks/run.py --compare``)."""
    return {"figure": figure, "value": value, "bar": bar, "met": met, "issue": issue, "ratio": ratio}


def parse_args(description: str, *, repeats: int = 5, quick_repeats: int = 2,
               flags: dict[str, str] | None = None) -> argparse.Namespace:
    """``--quick`` (a smoke run: fewer repeats and steps), ``--repeats N`` (overrides either), extra on/off ``flags``."""
    ap = argparse.ArgumentParser(description=description)
    for flag, help_text in (flags or {}).items():
        ap.add_argument(flag, action="store_true", help=help_text)
    ap.add_argument("--quick", action="store_true", help="smoke run: fewer repeats and steps; not a recorded result")
    ap.add_argument("--repeats", type=int, default=None, help=f"runs per contender (default {repeats}, quick {quick_repeats})")
    args = ap.parse_args()
    args.repeats = args.repeats or (quick_repeats if args.quick else repeats)
    if args.repeats < 1:
        ap.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds for one call of ``fn`` (no warm-up; the caller warms up) and what it returned."""
    box: list[Any] = []
    (seconds,) = time_call(lambda: box.append(fn()), warmup=0, min_repeats=1, budget_s=0.0)
    return seconds, box[0]


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def fmt(values: list[float], digits: int = 1, scale: float = 1.0) -> str:
    """``median (min–max)`` of ``values`` times ``scale``."""
    s = spread([v * scale for v in values])
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def fmt_spread(s: dict[str, float], digits: int = 1, scale: float = 1.0) -> str:
    """``median (min–max)`` of a :func:`spread` dict."""
    return f"{s['median'] * scale:.{digits}f} ({s['min'] * scale:.{digits}f}–{s['max'] * scale:.{digits}f})"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine() -> dict[str, Any]:
    return {
        "device": device_name(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__, "python": platform.python_version(), "platform": platform.platform(),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "versions": versions(),
    }


def describe_machine(m: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in m["load_average"]) if m.get("load_average") else "n/a"
    return (f"{m['device']}; {m['cores']} cores; torch {m['torch']}; python {m['python']}; "
            f"{m['date']}; load average {load}")


def write_results(name: str, payload: dict[str, Any], *, results_dir: Path | None = None,
                  started: dict[str, Any] | None = None) -> Path:
    """Raw figures to ``<results_dir>/<name>.json`` (default ``benchmarks/results``), with the command and the
    machine (``started``: the machine as recorded when the case began; its load average is the one that counts).
    Written under a temporary name, then renamed, so an interrupted run never leaves half a file."""
    folder = Path(results_dir) if results_dir else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    m = started or machine()
    doc = {"command": " ".join(["python", *_relative_argv()]), "machine": m, **payload}
    tmp.write_text(json.dumps(doc, indent=2, default=_jsonable) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _relative_argv() -> list[str]:
    argv = list(sys.argv)
    try:
        argv[0] = str(Path(argv[0]).resolve().relative_to(ROOT))
    except (ValueError, IndexError):
        pass
    return argv


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy / torch scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
