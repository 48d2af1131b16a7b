"""The test suite's wall time on this machine: ``python -m pytest -q`` in a subprocess (issue #2: < 15 minutes).

    python benchmarks/test_suite.py     # once; not part of --quick (the suite runs the quick benchmarks itself)
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, describe_machine, machine, row, write_results  # noqa: E402

BAR_S = 15 * 60


def run(quick: bool = False) -> dict[str, Any]:
    print(f"machine: {describe_machine(machine())}", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=ROOT,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)", tail)}
    print(f"{tail} in {seconds:.0f} s (exit {proc.returncode})")
    payload = {"seconds": seconds, "returncode": proc.returncode, "counts": counts, "last_line": tail}
    payload["summary"] = summary_rows(payload)
    return payload


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    c = payload["counts"]
    ok = payload["returncode"] == 0
    return [row("full test suite wall time (`python -m pytest -q`)",
                f"{payload['seconds'] / 60:.1f} min ({', '.join(f'{v} {k}' for k, v in c.items())})",
                bar="< 15 min, all passing", met=ok and payload["seconds"] < BAR_S, issue="#2")]


def main() -> None:
    started = machine()
    print(f"raw figures: {write_results('test_suite', run(), started=started)}")


if __name__ == "__main__":
    main()
