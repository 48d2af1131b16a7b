"""The search bars: ``sizeup search`` on mnist1d (5-minute budget) and digits (2-minute budget).

Each repeat runs the search the way a user does (a subprocess of the CLI, a fresh run folder), then
reads the recommended model's test accuracy and the best test accuracy per family from the run
folder's ``recommendation.json`` and ``leaderboard.csv``.

    python benchmarks/search_bars.py            # 3 repeats of each (about 21 minutes)
    python benchmarks/search_bars.py --quick    # 1 repeat at a quarter of the budgets (smoke run)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

from _common import ROOT, describe_machine, fmt, machine, parse_args, verdict, write_results

CASES = {"mnist1d": ("examples/mnist1d.toml", 300, 0.98), "digits": ("examples/digits.toml", 120, 0.98)}
PUBLISHED_ORDER = ["cnn", "rnn", "mlp", "linear"]  # MNIST-1D paper: CNN 94 % > GRU 91 % > MLP 68 % > logistic 32 %


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


def main() -> None:
    args = parse_args("sizeup search against the issue's bars", repeats=3, quick_repeats=1)
    m = machine()
    print(describe_machine(m))
    results: dict[str, list[dict]] = {}
    for name, (task, budget, bar) in CASES.items():
        budget = budget // 4 if args.quick else budget
        results[name] = [run_search(task, budget, seed) for seed in range(args.repeats)]
        accs = [r["test_accuracy"] for r in results[name]]
        print(f"\n{name}: budget {budget}s, {args.repeats} repeat(s)")
        for r in results[name]:
            fams = ", ".join(f"{f} {a:.3f}" for f, a in sorted(r["best_test_by_family"].items(), key=lambda kv: -kv[1]))
            print(f"  seed {r['seed']}: {r['recommended']} test {r['test_accuracy']:.4f} "
                  f"({r['completed']}/{r['trials']} trials completed); best test by family: {fams}")
        print(f"  recommended test accuracy {fmt(accs, 4)}  bar >= {bar}: {verdict(min(accs) >= bar)} (every repeat)")
        if name == "mnist1d":
            ordered = []
            for r in results[name]:
                fam = r["best_test_by_family"]
                ranks = [fam.get(f, -1.0) for f in PUBLISHED_ORDER]
                ordered.append(all(a > b for a, b in zip(ranks, ranks[1:])))
            print(f"  family ordering cnn > rnn (GRU) > mlp > linear in {sum(ordered)}/{len(ordered)} repeat(s): "
                  f"{verdict(all(ordered))}")
    write_results("search_bars", {"machine": m, "quick": args.quick, "results": results})


if __name__ == "__main__":
    main()
