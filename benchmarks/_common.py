"""Shared by the benchmark scripts: arguments, the machine, median (min–max), and the raw-figures JSON.

Timing goes through :func:`sizeup.measure.time_call`, so benchmarks measure the same way as sizeup does.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

import torch

from sizeup.measure import device_name, time_call

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]


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


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine() -> dict[str, Any]:
    return {
        "device": device_name(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__, "python": platform.python_version(), "platform": platform.platform(),
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def describe_machine(m: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in m["load_average"]) if m["load_average"] else "n/a"
    return (f"{m['device']}; {m['cores']} cores; torch {m['torch']}; python {m['python']}; "
            f"{m['date']}; load average {load}")


def write_results(name: str, payload: dict[str, Any]) -> Path:
    """Raw figures to ``benchmarks/results/<name>.json`` (written under a temporary name, then renamed)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    doc = {"command": " ".join(["python", *sys.argv]), "machine": machine(), **payload}
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
