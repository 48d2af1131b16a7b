"""Scaling forecasts: the Chinchilla refit, and forecasts of a size 8× larger than any fitted, trained and checked.

(a) Refit of Hoffmann et al. (2022)'s L(N, D) = E + A/N^α + B/D^β on the 245 points Besiroglu et al. (2024)
    extracted from their Fig. 4 (tests/scaling/data/chinchilla-points.csv): drop the 5 highest losses,
    D = C / (6N), Huber (δ = 1e-3) on log loss, L-BFGS from a 3^5 grid. Bar: every estimate within the
    published standard error of Besiroglu et al.'s.
(b) Forecasts on our data, 3 seeds per size: the MNIST-1D MLP by width and the digits CNN by width. The four
    smallest sizes (×2 parameters apart, one recipe: the task's defaults, fixed epochs) are fitted with
    ``sizeup.scale``, which forecasts the size 8× larger than the largest; that size is then trained with the
    same recipe and seeds. Bars: the measured test accuracy (mean of the seeds) lies inside the forecast's
    90 % interval for a mean of that many runs, and within 1.5 points of the point forecast; the forecast's
    batch-1 latency and memory are within ±15 % of the measured ones (medians over the seeds).

    python benchmarks/scaling.py            # the full recipe: 3^5 grid, 3 seeds, the tasks' epochs (40)
    python benchmarks/scaling.py --quick    # smoke run: one start, 1 seed, 3 epochs; not a result

Accuracies depend only on seeds and epochs; the latency comparison depends on the machine's load.
"""

from __future__ import annotations

import os
import statistics
import sys
from typing import Any

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, describe_machine, machine, parse_args, row, write_results  # noqa: E402

import sizeup  # noqa: E402
from sizeup.errors import SizeupError  # noqa: E402
from sizeup.scaling import fit_data_law, read_loss_points  # noqa: E402
from sizeup.scaling._datalaw import GRID_3  # noqa: E402
from sizeup.scaling._runs import train_size  # noqa: E402

POINTS = ROOT / "tests" / "scaling" / "data" / "chinchilla-points.csv"
# Besiroglu et al. (2024), Table 1: their estimate and its standard error
PUBLISHED = {"E": (1.817, 0.026), "A": (482.0, 125.0), "B": (2085.0, 1293.0), "alpha": (0.348, 0.015),
             "beta": (0.366, 0.021)}
CASES = {"mnist1d-mlp": ("examples/mnist1d.toml", "mlp", {"width": 16, "depth": 2}),
         "digits-cnn": ("examples/digits.toml", "cnn", {"width": 2, "depth": 2})}
MULTIPLE, FITTED_SIZES, SPAN, POINTS_BAR, COST_BAR = 8.0, 4, 5.0, 1.5, 0.15


def chinchilla(quick: bool) -> dict[str, Any]:
    grid = tuple((g[1],) for g in GRID_3) if quick else GRID_3
    n, d, loss = read_loss_points(str(POINTS), drop_highest=5)
    law = fit_data_law(n, d, loss, grid=grid)
    n_all, d_all, loss_all = read_loss_points(str(POINTS))
    everything = fit_data_law(n_all, d_all, loss_all, grid=grid)
    fitted = {k: getattr(law, k) for k in PUBLISHED}
    within = {k: abs(fitted[k] - m) <= se for k, (m, se) in PUBLISHED.items()}
    print("Chinchilla refit (240 points): " + ", ".join(f"{k} {v:.4g} ({'within' if within[k] else 'OUTSIDE'} "
                                                         f"{PUBLISHED[k][0]:g} ± {PUBLISHED[k][1]:g})" for k, v in fitted.items()))
    print(f"  all 245 points: beta {everything.beta:.3f}")
    return {"fit": law.to_dict(), "all_points": everything.to_dict(), "within": within, "starts": law.starts}


def forecast_case(name: str, quick: bool, seeds: int) -> dict[str, Any]:
    path, family, start = CASES[name]
    task = sizeup.Task.from_toml(ROOT / path)
    data = sizeup.load_data(task)
    epochs = {"epochs": 3} if quick else {}
    try:
        res = sizeup.scale(task, family=family, knobs=start, sizes=FITTED_SIZES, seeds=seeds, multiples=(MULTIPLE,),
                           bootstrap=100 if quick else 1000, data=data, save=False, **epochs,
                           on_run=lambda r: print(f"  {name} {r.knobs} seed {r.seed}: {r.value:.4f}", flush=True))
    except SizeupError as exc:
        print(f"  {name}: the fit refused: {exc}")
        return {"refused": str(exc)}
    f = res.forecasts[0]
    runs = train_size(task, data, family, f.knobs, size=FITTED_SIZES, seeds=[r.seed for r in res.runs if r.size == 0],
                      recipe=res.recipe, metric=res.fit.quality.metric, folder=None)
    measured = statistics.mean(r.value for r in runs)
    by_size = [statistics.mean(r.value for r in res.runs if r.size == i) for i in range(FITTED_SIZES)]
    lat, mem = statistics.median(r.latency_ms for r in runs), statistics.median(r.memory_mb for r in runs)
    out = {"family": family, "task": path, "start": start, "seeds": seeds, "epochs": res.recipe.epochs,
           "fitted": [{"knobs": s.knobs, "params": s.params, "accuracy": a, "latency_ms": s.latency_ms,
                       "memory_mb": s.memory_mb} for s, a in zip(res.sizes, by_size)],
           "fit": res.fit.by_params.to_dict(), "span_points": 100 * (max(by_size) - min(by_size)),
           "forecast": {k: v for k, v in f.to_dict().items() if k != "cost"},
           "measured": {"accuracy": measured, "per_seed": [r.value for r in runs], "params": runs[0].params,
                        "latency_ms": lat, "memory_mb": mem},
           "cost": {"latency_ms": f.cost.latency_ms, "memory_mb": f.cost.memory_mb,
                    "estimated_memory_mb": f.cost.estimated_memory_mb,
                    "latency_error": f.cost.latency_ms / lat - 1, "memory_error": f.cost.memory_mb / mem - 1,
                    "estimator_memory_error": f.cost.estimated_memory_mb / mem - 1},
           "verdict": res.verdict}
    out["inside"] = f.pred_lo <= measured <= f.pred_hi
    out["off_points"] = 100 * (measured - f.value)
    print(f"  {name}: 8x = {f.knobs} ({runs[0].params:,} params): measured {measured:.4f}, forecast {f.value:.4f} "
          f"[{f.pred_lo:.4f}, {f.pred_hi:.4f}]; latency {out['cost']['latency_error']:+.1%}, "
          f"memory {out['cost']['memory_error']:+.1%}", flush=True)
    return out


def run(quick: bool = False, seeds: int | None = None) -> dict[str, Any]:
    print(describe_machine(machine()))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models: one thread is faster, and steadier on shared cores
    try:
        payload = {"chinchilla": chinchilla(quick),
                   "cases": {name: forecast_case(name, quick, seeds or (1 if quick else 3)) for name in CASES}}
    finally:
        torch.set_num_threads(threads)
    payload["summary"] = summary_rows(payload)
    return payload


def _chinchilla_row(c: dict[str, Any]) -> dict[str, Any]:
    f = c["fit"]
    value = (f"E {f['E']:.3f}, A {f['A']:.0f}, B {f['B']:.0f}, α {f['alpha']:.3f}, β {f['beta']:.3f} "
             f"({sum(c['within'].values())} of 5 within; all 245 points: β {c['all_points']['beta']:.3f})")
    return row(f"Chinchilla refit, 240 points, {c['starts']} L-BFGS starts", value,
               bar="every estimate within Besiroglu et al.'s standard error", met=all(c["within"].values()),
               issue="#22", ratio=f["alpha"])


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [_chinchilla_row(payload["chinchilla"])]
    for name, r in payload["cases"].items():
        if "refused" in r:
            rows.append(row(f"{name}: forecast at 8×", f"refused: {r['refused']}", bar="a fit", met=False, issue="#22"))
            continue
        f, m = r["forecast"], r["measured"]
        rows.append(row(f"{name}: test accuracy at 8× the largest fitted size ({m['params']:,} params), {r['seeds']} seeds",
                        f"measured {100 * m['accuracy']:.1f} %, forecast {100 * f['value']:.1f} % "
                        f"(90 % interval {100 * f['pred_lo']:.1f}–{100 * f['pred_hi']:.1f}); off by {r['off_points']:+.1f} points",
                        bar="inside the 90 % interval and within 1.5 points", issue="#22",
                        met=r["inside"] and abs(r["off_points"]) <= POINTS_BAR, ratio=m["accuracy"] / f["value"]))
        rows.append(row(f"{name}: quality span across the 4 fitted sizes", f"{r['span_points']:.1f} points",
                        bar="at least 5 points", met=r["span_points"] >= SPAN, issue="#22"))
        c = r["cost"]
        rows.append(row(f"{name}: forecast vs measured cost at 8× (batch-1 latency, memory)",
                        f"latency {c['latency_ms']:.4f} vs {m['latency_ms']:.4f} ms ({100 * c['latency_error']:+.1f} %), "
                        f"memory {c['memory_mb']:.4f} vs {m['memory_mb']:.4f} MB ({100 * c['memory_error']:+.1f} %)",
                        bar="both within ±15 %", issue="#22", ratio=1 + c["latency_error"],
                        met=abs(c["latency_error"]) <= COST_BAR and abs(c["memory_error"]) <= COST_BAR))
    return rows


def render(payload: dict[str, Any]) -> str:
    c = payload["chinchilla"]["fit"]
    lines = ["Refit of Hoffmann et al. (2022) on Besiroglu et al. (2024)'s 240 points "
             f"(`sizeup.scaling.fit_data_law`, {c['starts']} starts):", "",
             "| | E | A | B | α | β |", "|---|---|---|---|---|---|",
             "| sizeup | " + " | ".join(f"{c[k]:.4g}" for k in PUBLISHED) + " |",
             "| Besiroglu et al. (± s.e.) | " + " | ".join(f"{m:g} ± {se:g}" for m, se in PUBLISHED.values()) + " |", ""]
    for name, r in payload["cases"].items():
        if "refused" in r:
            lines += [f"**{name}**: the fit refused: {r['refused']}", ""]
            continue
        lines += [f"**{name}** (`sizeup.scale`, {r['task']}, {r['epochs']} epochs, {r['seeds']} seeds per size): "
                  f"{r['fit']['formula']} with E {r['fit']['E']:.3g}, A {r['fit']['A']:.3g}, α {r['fit']['alpha']:.3f}", "",
                  "| size | params | test accuracy (mean) |", "|---|---|---|"]
        lines += [f"| {x['knobs']} | {x['params']:,} | {100 * x['accuracy']:.1f} % |" for x in r["fitted"]]
        f, m = r["forecast"], r["measured"]
        lines += [f"| 8×: {f['knobs']} | {m['params']:,} | measured {100 * m['accuracy']:.1f} %; forecast "
                  f"{100 * f['value']:.1f} % (90 % interval {100 * f['pred_lo']:.1f}–{100 * f['pred_hi']:.1f}) |", "",
                  f"Cost at 8×: batch-1 latency forecast {r['cost']['latency_ms']:.4f} ms, measured "
                  f"{m['latency_ms']:.4f} ms ({100 * r['cost']['latency_error']:+.1f} %); inference memory forecast "
                  f"{r['cost']['memory_mb']:.4f} MB, measured {m['memory_mb']:.4f} MB ({100 * r['cost']['memory_error']:+.1f} %; "
                  f"the estimator alone, before calibration: {100 * r['cost']['estimator_memory_error']:+.1f} %).", "",
                  f"Verdict of the 4-size run: {r['verdict']}", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=3, quick_repeats=1)
    started = machine()
    payload = run(args.quick, seeds=args.repeats)
    path = write_results("scaling-quick" if args.quick else "scaling", payload, started=started)
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
