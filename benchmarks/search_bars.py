"""The search bars: ``sizeup search`` on mnist1d (5-minute budget) and digits (2-minute budget).

Each repeat runs the search the way a user does (a subprocess of the CLI, a fresh run folder), then
reads the recommended model's test accuracy and the best test accuracy per family from the run
folder's ``recommendation.json`` and ``leaderboard.csv``.

    python benchmarks/search_bars.py            # 3 repeats of each (about 21 minutes)
    python benchmarks/search_bars.py --quick    # 1 repeat, budgets 15 s and 8 s (smoke run)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, describe_machine, fmt, machine, parse_args, row, verdict, write_results  # noqa: E402

CASES = {"mnist1d": ("examples/mnist1d.toml", 300, 0.98), "digits": ("examples/digits.toml", 120, 0.98)}
QUICK_BUDGETS = {"mnist1d": 15, "digits": 8}
PUBLISHED_ORDER = ["cnn", "rnn", "mlp", "linear"]  # MNIST-1D paper: CNN 94 % > GRU 91 % > MLP 68 % > logistic 32 %
PUBLISHED = {"cnn": "94 (97–99 residual/dilated)", "rnn": "91 (GRU)", "mlp": "68", "linear": "32 (logistic)"}


def run_search(task: str, budget_s: int, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-c", "from sizeup.cli import main; main()", "search", str(ROOT / task),
               "--budget", f"{budget_s}s", "--seed", str(seed), "--out", str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-2000:])
        rec = json.loads((out / "recommendation.json").read_text())
        board = pd.read_csv(out / "leaderboard.csv")
    done = board[board["status"] == "completed"]
    per_family = done.groupby("family")["test_accuracy"].max().to_dict()
    return {"seed": seed, "recommended": rec["candidate"]["model"], "test_accuracy": rec["candidate"]["test_accuracy"],
            "feasible": rec["feasible"], "trials": len(board), "completed": len(done),
            "statuses": board["status"].value_counts().to_dict(), "best_test_by_family": per_family}


def run(quick: bool = False, *, repeats: int | dict[str, int] | None = None) -> dict[str, Any]:
    """``repeats``: seeds per task, one count for both or a count per task name."""
    print(describe_machine(machine()))
    results: dict[str, list[dict]] = {}
    budgets = {}
    for name, (task, budget, bar) in CASES.items():
        budget = QUICK_BUDGETS[name] if quick else budget
        budgets[name] = budget
        n = (repeats.get(name, 1) if isinstance(repeats, dict) else repeats) or (1 if quick else 3)
        results[name] = [run_search(task, budget, seed) for seed in range(n)]
        accs = [r["test_accuracy"] for r in results[name]]
        print(f"\n{name}: budget {budget}s, {n} repeat(s)")
        for r in results[name]:
            fams = ", ".join(f"{f} {a:.3f}" for f, a in sorted(r["best_test_by_family"].items(), key=lambda kv: -kv[1]))
            print(f"  seed {r['seed']}: {r['recommended']} test {r['test_accuracy']:.4f} "
                  f"({r['completed']}/{r['trials']} trials completed); best test by family: {fams}")
        print(f"  recommended test accuracy {fmt(accs, 4)}  bar >= {bar}: {verdict(min(accs) >= bar)} (every repeat)")
        if name == "mnist1d":
            print(f"  family ordering cnn > rnn (GRU) > mlp > linear in {sum(ordered(results[name]))}/{n} "
                  f"repeat(s): {verdict(all(ordered(results[name])))}")
    payload = {"quick": quick, "budgets_s": budgets, "results": results}
    payload["summary"] = summary_rows(payload)
    return payload


def ordered(runs: list[dict]) -> list[bool]:
    """Per run: does the best test accuracy per family follow the published order?"""
    out = []
    for r in runs:
        ranks = [r["best_test_by_family"].get(f, -1.0) for f in PUBLISHED_ORDER]
        out.append(all(a > b for a, b in zip(ranks, ranks[1:])))
    return out


def _budgets(payload: dict[str, Any]) -> dict[str, int]:
    return payload.get("budgets_s") or {k: v[1] // (4 if payload.get("quick") else 1) for k, v in CASES.items()}


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    out, budgets = [], _budgets(payload)
    for name, runs in payload["results"].items():
        accs, bar = [r["test_accuracy"] for r in runs], CASES[name][2]
        out.append(row(f"`{name}`, {budgets[name] / 60:g}-minute search: recommended model's test accuracy, "
                       f"{len(runs)} seed(s)", f"{fmt(accs, 1, 100)} %", bar=f"≥ {bar:.0%} (every seed)",
                       met=min(accs) >= bar, issue="#3"))
    if "mnist1d" in payload["results"]:
        ok = ordered(payload["results"]["mnist1d"])
        out.append(row("`mnist1d` leaderboard reproduces CNN > GRU > MLP > linear", f"{sum(ok)} of {len(ok)} seeds",
                       bar="every seed", met=all(ok), issue="#3"))
    return out


def render(payload: dict[str, Any]) -> str:
    budgets = _budgets(payload)
    lines = ["| task, budget | recommended model's test accuracy %, median (min–max) | trials (completed) | bar | verdict |",
             "|---|---|---|---|---|"]
    for name, runs in payload["results"].items():
        accs, bar = [r["test_accuracy"] for r in runs], CASES[name][2]
        trials = ", ".join(f"{r['trials']} ({r['completed']})" for r in runs)
        lines.append(f"| {name}, {budgets[name] / 60:g} min | {fmt(accs, 1, 100)} of {len(runs)} | {trials} | "
                     f"≥ {bar:.0%} | {'**met** (every seed)' if min(accs) >= bar else '**not met**'} |")
    if "mnist1d" in payload["results"]:
        runs = payload["results"]["mnist1d"]
        families = sorted({f for r in runs for f in r["best_test_by_family"]},
                          key=lambda f: -max(r["best_test_by_family"].get(f, 0) for r in runs))
        lines += ["", "Best test accuracy per family on MNIST-1D's leaderboard (per seed):", "",
                  "| family | " + " | ".join(f"seed {r['seed']}" for r in runs) + " | published (Greydanus 2020) |",
                  "|---|" + "---|" * (len(runs) + 1)]
        for f in families:
            cells = " | ".join("—" if f not in r["best_test_by_family"] else f"{100 * r['best_test_by_family'][f]:.1f}"
                               for r in runs)
            lines.append(f"| {f} | {cells} | {PUBLISHED.get(f, '—')} |")
        ok = ordered(runs)
        lines += ["", f"The published ordering CNN > GRU > MLP > linear holds in {sum(ok)} of {len(ok)} runs "
                      f"({'**met**' if all(ok) else '**not met**'})."]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args("sizeup search against the issue's bars", repeats=3, quick_repeats=1)
    started = machine()
    path = write_results("search_bars-quick" if args.quick else "search_bars", run(args.quick, repeats=args.repeats),
                         started=started)
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
