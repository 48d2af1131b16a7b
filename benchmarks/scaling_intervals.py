"""How often the scaling fit's 90 % interval at 8× the largest size covers the truth, on data from a known law.

Each simulated data set draws the errors of four sizes (1k, 2k, 4k, 8k parameters), three runs each, from
error = 0.05 + 4·N^−0.35 with 3 % log-normal noise (about what seeds do on MNIST-1D), fits them with
``sizeup.scaling.fit_power_law`` and asks whether the true error at 64k parameters lies inside (a) the
profile-likelihood interval sizeup reports and (b) the percentile interval of the residual bootstrap of the
same fit. Nothing here depends on the machine.

    python benchmarks/scaling_intervals.py            # 30 data sets
    python benchmarks/scaling_intervals.py --quick    # 3 data sets; not a result
"""

from __future__ import annotations

import os
import sys
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import describe_machine, machine, parse_args, row, write_results  # noqa: E402

from sizeup.scaling import fit_power_law  # noqa: E402

SIZES, RUNS, NOISE, AT, LEVEL = (1e3, 2e3, 4e3, 8e3), 3, 0.03, 64e3, 0.9
TRUE = {"E": 0.05, "A": 4.0, "alpha": 0.35}


def law(n: Any) -> np.ndarray:
    return TRUE["E"] + TRUE["A"] * np.asarray(n, dtype=float) ** -TRUE["alpha"]


def one(seed: int, bootstrap: int) -> dict[str, Any]:
    rng = np.random.default_rng(100 + seed)
    x = np.repeat(SIZES, RUNS)
    fit = fit_power_law(x, law(x) * np.exp(rng.normal(0, NOISE, size=len(x))), bootstrap=bootstrap, seed=seed)
    lo, hi = fit.interval([AT])
    reps = fit.replicates([AT])[:, 0]
    b_lo, b_hi = np.quantile(reps, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    truth = float(law(AT))
    return {"seed": seed, "E": fit.E, "alpha": fit.alpha, "forecast": float(fit.predict([AT])[0]),
            "profile": [float(lo[0]), float(hi[0])], "bootstrap": [float(b_lo), float(b_hi)],
            "profile_covers": bool(lo[0] <= truth <= hi[0]), "bootstrap_covers": bool(b_lo <= truth <= b_hi)}


def run(quick: bool = False, datasets: int | None = None) -> dict[str, Any]:
    print(describe_machine(machine()))
    n = datasets or (3 if quick else 30)
    rows = []
    for seed in range(n):
        rows.append(one(seed, bootstrap=50 if quick else 300))
        r = rows[-1]
        print(f"  data set {seed}: E {r['E']:.3f}, alpha {r['alpha']:.3f}; profile {'covers' if r['profile_covers'] else 'MISSES'}, "
              f"bootstrap {'covers' if r['bootstrap_covers'] else 'MISSES'}", flush=True)
    payload = {"truth": {**TRUE, "at": AT, "error": float(law(AT))}, "sizes": SIZES, "runs": RUNS, "noise": NOISE,
               "level": LEVEL, "rows": rows}
    payload["summary"] = summary_rows(payload)
    return payload


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rows, n = payload["rows"], len(payload["rows"])
    prof, boot = sum(r["profile_covers"] for r in rows), sum(r["bootstrap_covers"] for r in rows)
    return [row(f"90 % interval of the error at 8× the largest size covers the truth (simulated, {n} data sets)",
                f"profile likelihood (sizeup): {prof} of {n}; residual-bootstrap percentile: {boot} of {n}",
                bar=None, met=None, issue="#22", ratio=prof / n if n else None)]


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=1, quick_repeats=1)
    started = machine()
    path = write_results("scaling_intervals-quick" if args.quick else "scaling_intervals", run(args.quick), started=started)
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
