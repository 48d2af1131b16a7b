"""A choice people can trust on their own data: small tables against scikit-learn's GridSearchCV, digits whose
pixels carry no order, the budget kept, and latency verdicts that survive a busy machine.

Each search runs the way a user runs it (a subprocess of the CLI on files it writes, a fresh run folder); the
figures are read from the run folder's ``recommendation.json`` and ``leaderboard.csv``.

* small tables: iris, two ``make_classification`` sets (one imbalanced) and a ``make_friedman1`` regression set,
  written as CSV files with string labels and odd column names. sizeup's recommended model (its saved ``best/``)
  against the best classic model that ``GridSearchCV`` tunes on the same train+validation rows, both scored on the
  same test rows. Bar: no more than 1 point of accuracy (3 % of RMSE) worse, median over seeds.
* permuted digits: digits with one fixed permutation of its 64 pixels; the recommended model against an MLP trained
  without augmentation (``sizeup train --family mlp --width 128 --depth 2 --train-set augment=false``). Bar: no more
  than 1 point below it.
* budget: ``sizeup search examples/digits.toml --budget 60s`` and ``examples/mnist1d.toml --budget 2m``; wall time
  from the start of the process to its end (the leaderboard is printed last) against 1.1 x the budget plus the
  start-up the command prints (imports and data loading, before the budget's clock starts).
* under load: the README's search once on a quiet machine and once with one core kept busy by another process; every
  candidate rejected for latency under load is rebuilt and re-measured once the machine is quiet again. Bar: none whose
  quiet latency is under half the limit was rejected.

    python benchmarks/choice.py            # every part, 3 seeds (about 35 minutes on 2 cores)
    python benchmarks/choice.py --quick    # a smoke run: 1 seed, short budgets
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, describe_machine, fmt, machine, row, write_results  # noqa: E402

SIZEUP = [sys.executable, "-c", "from sizeup.cli import main; main()"]
ODD_COLUMNS = ["Feature #1", "x-2 (mm)", "温度", "feat.4", "  padded  ", "a/b", "c,d", "e'f", "g\"h", "last one"]


def _cli(*args: str, timeout: float = 1800) -> tuple[subprocess.CompletedProcess, float]:
    start = time.perf_counter()
    proc = subprocess.run([*SIZEUP, *args], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"sizeup {' '.join(args[:2])} failed: {proc.stderr[-1500:]}")
    return proc, time.perf_counter() - start


# ----------------------------------------------------------------------------------------------- small tables

def _tables() -> dict[str, tuple[pd.DataFrame, str, str]]:
    """name -> (table, task, target column), classification labels as strings."""
    from sklearn.datasets import load_iris, make_classification, make_friedman1

    iris = load_iris(as_frame=True)
    frame = iris.frame.rename(columns={"target": "Species Label"})
    frame["Species Label"] = np.array(iris.target_names)[iris.target]
    out = {"iris": (frame, "classification", "Species Label")}
    for name, kw in (("blobs-4class", dict(n_samples=400, n_features=8, n_informative=5, n_redundant=2, n_classes=4,
                                          class_sep=1.0, random_state=0)),
                     ("imbalanced-3class", dict(n_samples=500, n_features=10, n_informative=4, n_redundant=2, n_classes=3,
                                               weights=[0.75, 0.2, 0.05], flip_y=0.02, random_state=1))):
        x, y = make_classification(**kw)
        df = pd.DataFrame(x, columns=ODD_COLUMNS[: x.shape[1]])
        df["Target Class"] = np.array(["alpha", "beta", "gamma", "delta"])[y]
        out[name] = (df, "classification", "Target Class")
    x, y = make_friedman1(n_samples=400, noise=1.0, random_state=0)
    df = pd.DataFrame(x, columns=ODD_COLUMNS[: x.shape[1]])
    df["y (target)"] = y
    out["friedman1"] = (df, "regression", "y (target)")
    return out


def _write_task(folder: Path, name: str, frame: pd.DataFrame, task: str, target: str) -> Path:
    frame.to_csv(folder / f"{name}.csv", index=False)
    metric = "accuracy" if task == "classification" else "rmse"
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\n[data]\nsource = "{name}.csv"\ntask = "{task}"\ntarget = {json.dumps(target)}\n'
                    f'[search]\nmetric = "{metric}"\n', encoding="utf-8")
    return path


def _grid_search(task_path: Path, seed: int) -> dict[str, Any]:
    """The best classic model GridSearchCV finds on sizeup's own train+validation rows, tested on its test rows."""
    from sklearn.ensemble import (HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.metrics import accuracy_score, mean_squared_error
    from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

    from sizeup.data import load_data
    from sizeup.selection.validation import pooled
    from sizeup.task import Task

    data = load_data(Task.from_toml(task_path))
    pool = pooled(data)
    x, y, xt, yt = pool.x.numpy(), pool.y.numpy(), data.test.x.numpy(), data.test.y.numpy()
    classify = data.info.task == "classification"
    if classify:
        cv, scoring = StratifiedKFold(5, shuffle=True, random_state=seed), "accuracy"
        grids = [(LogisticRegression(max_iter=5000), {"C": [0.01, 0.1, 1, 10, 100]}),
                 (HistGradientBoostingClassifier(random_state=seed),
                  {"learning_rate": [0.05, 0.1, 0.2], "max_leaf_nodes": [15, 31], "max_iter": [100, 200]}),
                 (RandomForestClassifier(random_state=seed), {"n_estimators": [100, 300], "max_depth": [None, 8],
                                                               "min_samples_leaf": [1, 5]})]
    else:
        cv, scoring = KFold(5, shuffle=True, random_state=seed), "neg_root_mean_squared_error"
        grids = [(Ridge(), {"alpha": [0.01, 0.1, 1, 10, 100]}),
                 (HistGradientBoostingRegressor(random_state=seed),
                  {"learning_rate": [0.05, 0.1, 0.2], "max_leaf_nodes": [15, 31], "max_iter": [100, 200]}),
                 (RandomForestRegressor(random_state=seed), {"n_estimators": [100, 300], "max_depth": [None, 8],
                                                              "min_samples_leaf": [1, 5]})]
    start = time.perf_counter()
    fitted = [GridSearchCV(est, grid, cv=cv, scoring=scoring, n_jobs=1).fit(x, y) for est, grid in grids]
    best = max(fitted, key=lambda g: g.best_score_)
    pred = best.predict(xt)
    score = accuracy_score(yt, pred) if classify else mean_squared_error(yt, pred) ** 0.5
    return {"model": type(best.best_estimator_).__name__, "params": best.best_params_, "test": float(score),
            "cv": float(best.best_score_), "seconds": time.perf_counter() - start}


def _recommended(out: Path, metric: str) -> dict[str, Any]:
    rec = json.loads((out / "recommendation.json").read_text())
    return {"model": rec["candidate"]["model"], "id": rec["id"], "test": rec["best_test"][f"test_{metric}"],
            "validation": rec["validation"]["kind"], "tied": rec["reasons"][0][:160]}


def small_tables(seeds: list[int], budget: str) -> dict[str, Any]:
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, (frame, task, target) in _tables().items():
            path = _write_task(folder, name, frame, task, target)
            metric = "accuracy" if task == "classification" else "rmse"
            results[name] = []
            for seed in seeds:
                out = folder / f"run-{name}-{seed}"
                _, wall = _cli("search", str(path), "--budget", budget, "--seed", str(seed), "--out", str(out))
                mine, grid = _recommended(out, metric), _grid_search(path, seed)
                results[name].append({"seed": seed, "sizeup": mine, "grid": grid, "wall_s": wall, "metric": metric})
                print(f"  {name} seed {seed}: sizeup {mine['model']} {mine['test']:.4f} vs GridSearchCV "
                      f"{grid['model']} {grid['test']:.4f}", flush=True)
    return results


def _table_rows(results: dict[str, list[dict]]) -> list[dict[str, Any]]:
    rows = []
    for name, runs in results.items():
        metric = runs[0]["metric"]
        mine, grid = [r["sizeup"]["test"] for r in runs], [r["grid"]["test"] for r in runs]
        if metric == "accuracy":
            gap = 100 * (statistics.median(mine) - statistics.median(grid))
            ok, value = gap >= -1.0, f"{fmt(mine, 1, 100)} % vs {fmt(grid, 1, 100)} % ({gap:+.1f} points)"
            bar = "≥ GridSearchCV − 1 point (median)"
        else:
            ratio = statistics.median(mine) / statistics.median(grid)
            ok, value, gap = ratio <= 1.03, f"RMSE {fmt(mine, 3)} vs {fmt(grid, 3)} ({ratio:.3f}×)", ratio
            bar = "≤ 1.03 × GridSearchCV's RMSE (median)"
        rows.append(row(f"{name} ({len(runs)} seeds): sizeup's recommendation vs the best GridSearchCV classic model, test "
                        f"{metric}", value, bar=bar, met=ok, issue="#15", ratio=gap if metric != "accuracy" else None))
    return rows


# ----------------------------------------------------------------------------------------------- permuted digits

def _permuted_task(folder: Path) -> Path:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images.astype("float32") / 16.0).reshape(len(digits.images), 64)
    x = x[:, np.random.default_rng(0).permutation(64)].reshape(-1, 1, 8, 8)
    np.savez(folder / "perm.npz", x=x, y=digits.target)
    path = folder / "perm.toml"
    path.write_text('name = "digits-permuted"\n[data]\nsource = "perm.npz"\ntest_fraction = 0.25\n'
                    '[budget]\ntime = "2m"\n[constraints]\nmax_latency_ms = 2.0\n', encoding="utf-8")
    return path


def permuted_digits(seeds: list[int], budget: str) -> list[dict[str, Any]]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        task = _permuted_task(Path(tmp))
        for seed in seeds:
            run = Path(tmp) / f"run-{seed}"
            _cli("search", str(task), "--budget", budget, "--seed", str(seed), "--out", str(run))
            mine = _recommended(run, "accuracy")
            proc, _ = _cli("train", str(task), "--family", "mlp", "--width", "128", "--depth", "2", "--train-set",
                           "augment=false", "--seed", str(seed), "--out", str(Path(tmp) / f"mlp-{seed}"), "--json")
            mlp = json.loads(proc.stdout)["test_accuracy"]
            board = pd.read_csv(run / "leaderboard.csv")
            out.append({"seed": seed, "sizeup": mine, "mlp_no_augment": mlp,
                        "augment_in_completed": board.loc[board["status"] == "completed", "augment"].value_counts().to_dict()})
            print(f"  permuted digits seed {seed}: sizeup {mine['model']} {mine['test']:.4f} vs MLP without augmentation "
                  f"{mlp:.4f}", flush=True)
    return out


# ----------------------------------------------------------------------------------------------- budget

STARTUP = re.compile(r"start-up \(before the budget\): ([0-9.]+) s")


def budget(quick: bool) -> list[dict[str, Any]]:
    out = []
    for task, seconds in (("examples/digits.toml", 60), ("examples/mnist1d.toml", 120)):
        seconds = 15 if quick else seconds
        with tempfile.TemporaryDirectory() as tmp:
            proc, wall = _cli("search", str(ROOT / task), "--budget", f"{seconds}s", "--out", str(Path(tmp) / "run"))
        startup = float(STARTUP.search(proc.stderr).group(1))
        out.append({"task": task, "budget_s": seconds, "wall_s": wall, "startup_s": startup,
                    "limit_s": 1.1 * seconds + startup, "met": wall <= 1.1 * seconds + startup})
        print(f"  {task} --budget {seconds}s: {wall:.1f} s wall, start-up {startup:.1f} s, "
              f"limit {1.1 * seconds + startup:.1f} s", flush=True)
    return out


# ----------------------------------------------------------------------------------------------- under load

def _latency_rejections(run: Path) -> list[dict[str, Any]]:
    """Every candidate rejected for latency: its trial number, its knobs and the latency that rejected it."""
    import optuna

    study = optuna.load_study(study_name=None, storage=f"sqlite:///{run / 'study.db'}")
    out = []
    for t in study.trials:
        reason = str(t.user_attrs.get("reason", ""))
        if "max_latency_ms" in reason:
            family = t.params["family"]
            knobs = {k.split(".", 1)[1]: v for k, v in t.params.items() if k.startswith(f"{family}.")
                     and k.split(".", 1)[1] not in ("lr", "weight_decay", "augment", "augment_strength")}
            out.append({"trial": t.number, "family": family, "knobs": knobs, "latency_ms": t.user_attrs.get("latency_ms")})
    return out


def _quiet_latency(task: str, family: str, knobs: dict[str, Any]) -> float:
    import torch

    from sizeup.data import load_data
    from sizeup.measurement import measure
    from sizeup.task import Task
    from sizeup.training.run import example_inputs
    from sizeup.zoo import build

    data = load_data(Task.from_toml(task))
    torch.manual_seed(0)
    model = build(family, data.info, **knobs)
    return measure(model, example_inputs(data.info, data.test, 64), latency_budget_s=0.5).latency_ms


def under_load(quick: bool) -> dict[str, Any]:
    task, seconds = str(ROOT / "examples/mnist1d.toml"), 15 if quick else 120
    limit = 2.0
    runs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("quiet", "loaded"):
            busy = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if label == "loaded" else None
            try:
                out = Path(tmp) / label
                _cli("search", task, "--budget", f"{seconds}s", "--out", str(out))
                rejected = _latency_rejections(out)
                board = pd.read_csv(out / "leaderboard.csv")
            finally:
                if busy is not None:
                    busy.kill()
                    busy.wait()
            runs[label] = {"rejected": rejected, "completed": int((board["status"] == "completed").sum()),
                           "families_completed": sorted(board.loc[board["status"] == "completed", "family"].unique())}
        for r in runs["loaded"]["rejected"]:  # re-measured once the busy process is gone
            r["quiet_latency_ms"] = _quiet_latency(task, r["family"], r["knobs"])
    wrong = [r for r in runs["loaded"]["rejected"] if r["quiet_latency_ms"] < limit / 2]
    print(f"  under load: {len(runs['loaded']['rejected'])} rejected for latency ({len(runs['quiet']['rejected'])} quiet); "
          f"{len(wrong)} of them under half the limit when quiet", flush=True)
    return {**runs, "limit_ms": limit, "wrongly_rejected": wrong}


# ----------------------------------------------------------------------------------------------- the case

def run(quick: bool = False, *, seeds: int | None = None) -> dict[str, Any]:
    print(describe_machine(machine()))
    seeds_list = list(range(seeds or (1 if quick else 3)))
    print("small tables", flush=True)
    tables = small_tables(seeds_list, "20s" if quick else "60s")
    print("permuted digits", flush=True)
    permuted = permuted_digits(seeds_list, "20s" if quick else "2m")
    print("budget", flush=True)
    budgets = budget(quick)
    print("under load", flush=True)
    load = under_load(quick)
    summary = _table_rows(tables)
    mine, mlp = [p["sizeup"]["test"] for p in permuted], [p["mlp_no_augment"] for p in permuted]
    gap = 100 * (statistics.median(mine) - statistics.median(mlp))
    summary.append(row(f"digits, pixels permuted ({len(permuted)} seeds): recommended vs an MLP without augmentation, test "
                       "accuracy", f"{fmt(mine, 1, 100)} % vs {fmt(mlp, 1, 100)} % ({gap:+.1f} points)",
                       bar="≥ the MLP − 1 point", met=gap >= -1.0, issue="#15"))
    for b in budgets:
        summary.append(row(f"`sizeup search {b['task']} --budget {b['budget_s']}s`: wall time",
                           f"{b['wall_s']:.1f} s (start-up {b['startup_s']:.1f} s)", bar=f"≤ {b['limit_s']:.1f} s "
                           "(1.1 × budget + start-up)", met=b["met"], issue="#15", ratio=b["wall_s"] / b["limit_s"]))
    summary.append(row("README search under load (one core busy): candidates rejected for latency whose quiet latency is "
                       "under half the limit", f"{len(load['wrongly_rejected'])} (of {len(load['loaded']['rejected'])} "
                       f"rejected under load; {len(load['quiet']['rejected'])} quiet)", bar="0",
                       met=not load["wrongly_rejected"], issue="#15"))
    return {"small_tables": tables, "permuted_digits": permuted, "budget": budgets, "under_load": load, "summary": summary}


if __name__ == "__main__":
    from _common import parse_args

    args = parse_args(__doc__.splitlines()[0], repeats=3, quick_repeats=1)
    payload = run(args.quick, seeds=args.repeats)
    path = write_results("choice-quick" if args.quick else "choice", payload)
    for r in payload["summary"]:
        print(f"{r['figure']}: {r['value']} [{r['bar']}: {'met' if r['met'] else 'NOT MET'}]")
    print(f"wrote {path}")
