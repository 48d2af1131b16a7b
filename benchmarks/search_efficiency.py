"""Search efficiency on MNIST-1D: sizeup's search vs Optuna TPE vs random search vs an exhaustive grid, one space.

Bars (issue #3; medians over the search seeds):
  (1) sizeup's search gets within 1 point (0.01) of validation accuracy of the grid's best having spent at most
      1/3 of the grid's compute;
  (2) at equal compute (1/3 of the grid's), sizeup's best validation accuracy beats random search's (strictly; a
      tie is reported as a tie, not as a pass).
Compute is training seconds (the loop's own clock, every epoch of every trial: pruned and failed ones too);
epochs and training FLOPs are shown alongside.

    python benchmarks/search_efficiency.py           # 81-config grid x 8 epochs, sizeup 3 seeds (about 9 minutes)
    python benchmarks/search_efficiency.py --quick   # smoke run: 16-config grid x 3 epochs, 1 seed (under 1 minute)

The space is PATCHED IN-PROCESS (this script only; sizeup's source is unchanged): the entries of
the ``mlp`` and ``cnn`` families' registered spaces become the categorical lists in ``FULL``, and ``suggest``
(as imported by ``sizeup.selection.trial``) draws ``lr`` from a list and fixes ``weight_decay`` at 0.01. Every other
knob keeps the family's default. Each family's default-config baseline (which ``search`` enqueues first,
unpruned) snaps into this space; the script checks it.

The methods:
  * grid   -- every config once, through ``sizeup.selection.trial.run_trial`` (the search's own trial), no pruning.
              Its trials are the table every other method is scored against.
  * sizeup -- ``sizeup.search(task, trials=CAP, max_epochs=..., seed=s, export=False)`` run for real: TrialSeededTPE
              + Hyperband, its two baselines first. A progress hook stops it once its training seconds reach 1/3
              of the grid's.
  * tpe    -- Optuna's ``TPESampler(seed=s)`` without pruning, and
  * random -- ``RandomSampler(seed=s)`` without pruning: both REPLAYED from the grid's table. A trial without
              pruning trains its config to the end, with the same training seed, exactly as the grid's trial of
              that config did, so it gets the grid's validation accuracy and costs the grid's training seconds.
              Training is deterministic here (one torch thread, a seeded loop); the script checks it on every
              trial sizeup completed: each must reproduce the grid's validation accuracy for its config. Replaying
              costs nothing, so these two run more seeds than sizeup does.
Each method's curve is its best validation accuracy so far against its compute so far, after each trial (the plot
in docs/benchmarks.md). Bar 1 reads sizeup's curve where it first reaches the grid's best minus 1 point; bar 2
compares the curves at 1/3 of the grid's seconds (a trial counts once it has finished within that compute).

"Best" is sizeup's own ranking: the completed trial with the highest validation accuracy (``leaderboard``); its
test accuracy is shown too. Torch runs with 1 thread (``--all-threads`` for torch's default): on a shared 2-core
machine, 2 threads were ~100x slower for these tiny models, and one thread keeps training deterministic.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import optuna
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import describe_machine, fmt, machine, parse_args, row, spread, write_results  # noqa: E402
from _svg_curves import curves_svg  # noqa: E402

import sizeup  # noqa: E402
import sizeup.selection.space as space  # noqa: E402
import sizeup.selection.trial as trial_mod  # noqa: E402
from sizeup.selection import search  # noqa: E402
from sizeup.selection.leaderboard import leaderboard  # noqa: E402
from sizeup.selection.space import default_params, searchable_families  # noqa: E402
from sizeup.selection.trial import SearchContext, run_trial  # noqa: E402

SOURCE = "mnist1d"
WEIGHT_DECAY = 0.01
POINT = 0.01
UNITS = ("seconds", "epochs", "tflop")  # compute units; the first is the one the bars use
# knob -> categorical choices; "lr" is the training setting. The family defaults (mlp 128x2, cnn 32x3 k5
# (residual), lr 1e-2 for signals) are inside the space, so the baselines search enqueues are grid points.
FULL = {"max_epochs": 8, "sizeup_seeds": 3, "replay_seeds": 10, "space": {
    "mlp": {"width": [32, 128, 512], "depth": [1, 2, 3], "lr": [1e-3, 1e-2, 1e-1]},
    "cnn": {"width": [8, 16, 32], "depth": [1, 3, 5], "kernel": [3, 5], "lr": [1e-3, 1e-2, 1e-1]},
}}
QUICK = {"max_epochs": 3, "sizeup_seeds": 1, "replay_seeds": 3, "space": {
    "mlp": {"width": [32, 128], "depth": [2], "lr": [1e-3, 1e-2]},
    "cnn": {"width": [8, 32], "depth": [3], "kernel": [3, 5], "lr": [1e-3, 1e-2, 1e-1]},
}}
TRIAL_CAP = 2000  # a count sizeup's search never reaches: the compute budget stops it first


# ----------------------------------------------------------------------------- the patched space

@contextlib.contextmanager
def patched_space(spec: dict[str, dict[str, list[Any]]]) -> Iterator[None]:
    """Sample exactly ``spec`` inside the block; sizeup's own space and ``suggest`` come back afterwards, so
    other cases run by ``benchmarks/run.py`` in the same process see the real search."""
    from sizeup.zoo._registry import _FAMILIES

    saved = {f: _FAMILIES[f] for f in spec}, space.suggest, trial_mod.suggest
    for family, knobs in spec.items():  # the family's own space, replaced inside the block only
        _FAMILIES[family] = dataclasses.replace(_FAMILIES[family], space={k: ("cat", list(v)) for k, v in knobs.items() if k != "lr"})
    space.suggest = trial_mod.suggest = lambda trial, families: suggest(trial, families, spec)  # run_trial's import
    try:
        yield
    finally:
        _FAMILIES.update(saved[0])
        space.suggest, trial_mod.suggest = saved[1], saved[2]


def suggest(trial: optuna.Trial, families: list[str], spec: dict[str, dict[str, list[Any]]]):
    """``(family, knobs, settings)`` drawn from ``spec``: every method samples through this one function."""
    family = trial.suggest_categorical("family", families)
    knobs = {k: trial.suggest_categorical(f"{family}.{k}", v) for k, v in spec[family].items() if k != "lr"}
    return family, knobs, {"lr": trial.suggest_categorical(f"{family}.lr", spec[family]["lr"]),
                           "weight_decay": WEIGHT_DECAY}


def grid_configs(spec: dict[str, dict[str, list[Any]]]) -> list[dict[str, Any]]:
    out = []
    for family, knobs in spec.items():
        names = list(knobs)
        for values in itertools.product(*(knobs[n] for n in names)):
            out.append({"family": family, **{f"{family}.{n}": v for n, v in zip(names, values)}})
    return out


def describe(params: dict[str, Any]) -> str:
    family = params.get("family", "?")
    return family + " " + " ".join(f"{k.split('.', 1)[1]}={v:g}" for k, v in params.items() if k != "family")


def check_baselines(spec: dict[str, dict[str, list[Any]]], input_kind: str) -> list[dict[str, Any]]:
    """The params ``search`` enqueues as baselines must lie in the patched space."""
    import dataclasses

    from sizeup.training.config import default_config
    from sizeup.zoo import get_family

    lr = default_config(input_kind).lr
    out = []
    for family in spec:
        p = default_params(family, dataclasses.asdict(get_family(family).config_cls()), lr)
        for k, choices in spec[family].items():
            if p[f"{family}.{k}"] not in choices:
                raise SystemExit(f"baseline {family}.{k} = {p[f'{family}.{k}']} is not in the patched space {choices}")
        if p[f"{family}.weight_decay"] != WEIGHT_DECAY:
            raise SystemExit(f"baseline weight_decay {p[f'{family}.weight_decay']} != {WEIGHT_DECAY}")
        out.append({k: v for k, v in p.items() if not k.endswith("weight_decay")})
    return out


# ----------------------------------------------------------------------------- compute accounting

class Ledger:
    """Compute per trial, from the per-epoch hook (which sees pruned and failed trials too): epochs, the loop's
    seconds, and FLOPs (3 x forward FLOPs per sample x training samples x epochs). With ``budget`` (seconds) it
    stops the study once the seconds spent reach it. Also a ``SearchProgress`` for ``sizeup.search``."""

    def __init__(self, n_train: int, budget: float | None = None) -> None:
        self.n_train, self.budget = n_train, budget
        self.epochs: dict[int, int] = {}
        self.seconds: dict[int, float] = {}
        self.order: list[int] = []

    def start(self, **_: Any) -> None: ...

    def stop(self) -> None: ...

    def epoch(self, trial: int, logs: dict[str, Any]) -> None:
        self.epochs[trial] = self.epochs.get(trial, 0) + 1
        self.seconds[trial] = float(logs["elapsed"])

    def trial_done(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.order.append(trial.number)
        if self.budget is not None and sum(self.seconds.values()) >= self.budget:
            study.stop()

    def cost(self, trial: optuna.trial.FrozenTrial) -> dict[str, float]:
        epochs = self.epochs.get(trial.number, 0)
        flops = trial.user_attrs.get("flops") or 0
        return {"seconds": self.seconds.get(trial.number, 0.0), "epochs": epochs,
                "tflop": 3 * flops * self.n_train * epochs / 1e12}


def trial_rows(study: optuna.Study, ledger: Ledger) -> list[dict[str, Any]]:
    """One row per finished trial, in the order they finished: config, status, val/test accuracy, compute."""
    board = leaderboard(study, "accuracy", higher_is_better=True).set_index("trial")
    out = []
    for number in ledger.order:
        t, b = study.trials[number], board.loc[number]
        done = b["status"] == "completed"
        out.append({"trial": number, "config": describe(t.params), "status": str(b["status"]),
                    "baseline": bool(t.user_attrs.get("baseline")),
                    "val": float(b["val_accuracy"]) if done else None,
                    "test": float(b["test_accuracy"]) if done else None, **ledger.cost(t)})
    return out


def curve(rows: list[dict[str, Any]]) -> list[dict[str, float | None]]:
    """After each trial: compute spent so far (every unit) and the best completed validation accuracy so far."""
    spent, best, out = dict.fromkeys(UNITS, 0.0), None, []
    for r in rows:
        for u in UNITS:
            spent[u] += r[u]
        if r["val"] is not None and (best is None or r["val"] > best):
            best = r["val"]
        out.append({**spent, "best": best})
    return out


def compute_to_reach(points: list[dict[str, Any]], target: float, unit: str) -> float | None:
    """Compute spent when the best validation accuracy first reached ``target``; ``None`` if it never did."""
    return next((p[unit] for p in points if p["best"] is not None and p["best"] >= target - 1e-9), None)


def best_within(points: list[dict[str, Any]], budget: float, unit: str) -> float | None:
    """The best validation accuracy among the trials that finished within ``budget``."""
    inside = [p["best"] for p in points if p[unit] <= budget + 1e-9 and p["best"] is not None]
    return max(inside) if inside else None


def summarize(rows: list[dict[str, Any]], wall: float, **extra: Any) -> dict[str, Any]:
    done = [r for r in rows if r["val"] is not None]
    best = max(done, key=lambda r: r["val"], default=None)  # ties: the first (the leaderboard's tie-breaks differ)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return {**extra, "rows": rows, "curve": curve(rows), "trials": len(rows), "status": counts,
            **{u: sum(r[u] for r in rows) for u in UNITS}, "wall_seconds": wall,
            "best_val": None if best is None else best["val"], "best_test": None if best is None else best["test"],
            "best_config": None if best is None else best["config"]}


# ----------------------------------------------------------------------------- the methods

def context(task: sizeup.Task, data: Any, out: Path, max_epochs: int, ledger: Ledger) -> SearchContext:
    families = searchable_families(data.info.input_kind, task.search.families)
    return SearchContext(task=task, data=data, families=families, limits={}, metric="accuracy", out_dir=out,
                         max_epochs=max_epochs, trial_seconds=None, on_epoch=ledger.epoch)


def run_grid(task, data, spec, max_epochs: int) -> dict[str, Any]:
    """Every config once through ``run_trial``, no pruning."""
    configs = grid_configs(spec)
    ledger = Ledger(len(data.train))
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.RandomSampler(seed=0),
                                pruner=optuna.pruners.NopPruner())
    for params in configs:
        study.enqueue_trial(params)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = context(task, data, Path(tmp), max_epochs, ledger)
        start = time.perf_counter()
        study.optimize(lambda t: run_trial(t, ctx), n_trials=len(configs), callbacks=[ledger.trial_done],
                       catch=(Exception,))
        wall = time.perf_counter() - start
    return summarize(trial_rows(study, ledger), wall)


def run_sizeup(task, n_train: int, max_epochs: int, seed: int, budget: float) -> dict[str, Any]:
    ledger = Ledger(n_train, budget)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        res = search(task, trials=TRIAL_CAP, max_epochs=max_epochs, seed=seed, export=False, out=Path(tmp) / "run",
                     progress=ledger)
        wall = time.perf_counter() - start
        out = summarize(trial_rows(res.study, ledger), wall, seed=seed)
        rec = res.recommended.row or {}
        out["recommended"] = {"trial": res.recommended.trial, "val": rec.get("val_accuracy"),
                              "test": rec.get("test_accuracy"), "model": rec.get("model")}
    return out


def replay(table: dict[str, dict[str, Any]], spec, families: list[str], sampler: optuna.samplers.BaseSampler,
           budget: float, seed: int) -> dict[str, Any]:
    """A study without pruning whose trials are looked up in the grid's table (same config, same training: same
    result and cost), until the seconds spent reach ``budget``."""
    rows: list[dict[str, Any]] = []
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=optuna.pruners.NopPruner())

    def objective(trial: optuna.Trial) -> float:
        suggest(trial, families, spec)
        hit = table[describe(trial.params)]
        rows.append({**hit, "trial": trial.number, "baseline": False})
        if hit["val"] is None:
            raise optuna.TrialPruned()  # failed in the grid: it fails here too (no value for the sampler)
        return hit["val"]

    def stop(study: optuna.Study, _t: Any) -> None:
        if sum(r["seconds"] for r in rows) >= budget:
            study.stop()

    start = time.perf_counter()
    study.optimize(objective, n_trials=TRIAL_CAP, callbacks=[stop])
    return summarize(rows, time.perf_counter() - start, seed=seed)


def check_deterministic(table: dict[str, dict[str, Any]], sizeup_runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Every trial sizeup completed must reproduce the grid's validation accuracy for its config."""
    pairs = [(r["val"], table[r["config"]]["val"]) for run in sizeup_runs for r in run["rows"] if r["val"] is not None]
    same = sum(1 for a, b in pairs if b is not None and abs(a - b) < 1e-9)
    return {"completed": len(pairs), "identical": same}


# ----------------------------------------------------------------------------- the run

def efficiency_task(spec: dict[str, Any], folder: Path) -> sizeup.Task:
    path = folder / "efficiency.toml"
    fams = ", ".join(f'"{f}"' for f in spec)
    path.write_text(f'name = "efficiency"\n[data]\nsource = "{SOURCE}"\n[search]\nfamilies = [{fams}]\n'
                    'metric = "accuracy"\n', encoding="utf-8")
    return sizeup.Task.from_toml(path)


def run(quick: bool = False, *, repeats: int | None = None, all_threads: bool = False) -> dict[str, Any]:
    cfg = QUICK if quick else FULL
    threads = torch.get_num_threads()
    if not all_threads:
        torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        with patched_space(cfg["space"]), tempfile.TemporaryDirectory() as tmp:
            return _run(efficiency_task(cfg["space"], Path(tmp)), cfg, repeats or cfg["sizeup_seeds"], quick)
    finally:
        torch.set_num_threads(threads)


def _run(task, cfg: dict[str, Any], n_seeds: int, quick: bool) -> dict[str, Any]:
    spec, max_epochs = cfg["space"], cfg["max_epochs"]
    data = sizeup.load_data(task)
    baselines = check_baselines(spec, data.info.input_kind)
    print(f"machine: {describe_machine(machine())}; torch threads {torch.get_num_threads()}")
    print(f"{SOURCE}: {len(data.train)} train / {len(data.val)} val / {len(data.test)} test; "
          f"one validation sample = {100 / len(data.val):.2f} points")
    for family, knobs in spec.items():
        print(f"  {family}: " + " x ".join(f"{k} {v}" for k, v in knobs.items()) + f"  (weight_decay {WEIGHT_DECAY})")
    print(f"grid: {len(grid_configs(spec))} configs x {max_epochs} epochs (no pruning); sizeup seeds {n_seeds}; "
          f"replayed TPE / random seeds {cfg['replay_seeds']}{'  (QUICK smoke run, not a recorded result)' if quick else ''}")
    print(f"baselines search enqueues (in the space): {baselines}", flush=True)

    gc.collect()
    grid = run_grid(task, data, spec, max_epochs)
    budget = grid["seconds"] / 3
    print(f"grid done: {grid['epochs']} epochs, {grid['seconds']:.1f} s training, {grid['wall_seconds']:.1f} s wall; "
          f"best val {100 * grid['best_val']:.2f} % ({grid['best_config']}); budget {budget:.1f} s", flush=True)
    table = {r["config"]: r for r in grid["rows"]}
    runs: dict[str, list[dict[str, Any]]] = {"sizeup": []}
    for seed in range(n_seeds):
        gc.collect()
        r = run_sizeup(task, len(data.train), max_epochs, seed, budget)
        runs["sizeup"].append(r)
        print(f"  sizeup seed {seed}: {r['trials']} trials {r['status']}, {r['seconds']:.1f} s, best val "
              f"{100 * r['best_val']:.2f} % ({r['best_config']})", flush=True)
    families = searchable_families(data.info.input_kind, task.search.families)
    for method, make in (("tpe", lambda s: optuna.samplers.TPESampler(seed=s)),
                         ("random", lambda s: optuna.samplers.RandomSampler(seed=s))):
        runs[method] = [replay(table, spec, families, make(s), budget, s) for s in range(cfg["replay_seeds"])]
    payload = {"settings": {"quick": quick, "source": SOURCE, "max_epochs": max_epochs, "space": spec,
                            "weight_decay": WEIGHT_DECAY, "grid_configs": len(grid["rows"]),
                            "torch_threads": torch.get_num_threads(), "budget_seconds": budget,
                            "val_samples": len(data.val), "sizeup_seeds": n_seeds,
                            "replay_seeds": cfg["replay_seeds"]},
               "grid": grid, "runs": runs, "determinism": check_deterministic(table, runs["sizeup"])}
    payload["stats"] = stats(payload)
    payload["summary"] = summary_rows(payload)
    print(render(payload))
    for r in payload["summary"]:
        print(f"{r['figure']}: {r['value']}" + (f"  bar {r['bar']}: {r['met']}" if r["bar"] else ""))
    return payload


# ----------------------------------------------------------------------------- figures from the raw results

def _median(values: list[float | None]) -> float:
    return statistics.median([math.inf if v is None else v for v in values])


def stats(payload: dict[str, Any]) -> dict[str, Any]:
    grid, runs, budget = payload["grid"], payload["runs"], payload["settings"]["budget_seconds"]
    target = grid["best_val"] - POINT
    out: dict[str, Any] = {"target_val": target, "reach": {}, "best_at_budget": {}}
    for method, rs in runs.items():
        out["reach"][method] = {u: [None if (c := compute_to_reach(r["curve"], target, u)) is None else c / grid[u]
                                    for r in rs] for u in UNITS}
        out["best_at_budget"][method] = [best_within(r["curve"], budget, "seconds") for r in rs]
    out["found_grid_best"] = {m: sum(1 for v in vs if v is not None and v >= grid["best_val"] - 1e-9)
                              for m, vs in out["best_at_budget"].items()}
    reach = _median(out["reach"]["sizeup"]["seconds"])
    ours, theirs = (_median(out["best_at_budget"][m]) for m in ("sizeup", "random"))
    out.update({"sizeup_reach_seconds_median": reach, "bar1_passed": reach <= 1 / 3 + 1e-9,
                "margin_over_random": ours - theirs, "bar2_passed": ours - theirs > 1e-9,
                "bar2_tied": abs(ours - theirs) <= 1e-9,
                "margin_over_tpe": ours - _median(out["best_at_budget"]["tpe"])})
    return out


def _fraction(values: list[float | None], digits: int = 3) -> str:
    got = [v for v in values if v is not None]
    never = len(values) - len(got)
    if not got:
        return "never"
    text = f"{got[0]:.{digits}f}" if len(values) == 1 else fmt(got, digits)
    return text + (f" ({never} of {len(values)} never)" if never else "")


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    st = payload["stats"]
    n = payload["settings"]["grid_configs"]
    out = [row(f"search, {SOURCE} ({n} configs): compute sizeup spends to get within 1 point of the grid's best val, "
               "/ the grid's (training seconds)",
               f"{_fraction(st['reach']['sizeup']['seconds'])} (epochs {_fraction(st['reach']['sizeup']['epochs'])})",
               bar="≤ 0.333", met=st["bar1_passed"], issue="#3",
               ratio=st["sizeup_reach_seconds_median"] if math.isfinite(st["sizeup_reach_seconds_median"]) else None)]
    word = "a tie" if st["bar2_tied"] else f"{100 * st['margin_over_random']:+.2f} points"
    out.append(row(f"search, {SOURCE}: sizeup's best val vs random search's at 1/3 of the grid's seconds (medians)",
                   f"{word}: {fmt(st['best_at_budget']['sizeup'], 2, 100)} % vs "
                   f"{fmt(_nn(st['best_at_budget']['random']), 2, 100)} %; found the grid's best in "
                   f"{_found(payload, 'sizeup')} vs {_found(payload, 'random')} runs",
                   bar="> 0 (strictly)", met=st["bar2_passed"], issue="#3"))
    out.append(row(f"search, {SOURCE}: sizeup vs Optuna TPE without pruning at the same compute (median margin)",
                   f"{100 * st['margin_over_tpe']:+.2f} points", bar=None, met=None))
    return out


def _found(payload: dict[str, Any], method: str) -> str:
    return f"{payload['stats']['found_grid_best'][method]} of {len(payload['runs'][method])}"


def _nn(values: list[float | None]) -> list[float]:
    return [0.0 if v is None else v for v in values]


LABELS = {"grid": "exhaustive grid, no pruning", "sizeup": "sizeup `search` (TPE + Hyperband + baselines), run",
          "tpe": "Optuna TPE, no pruning, replayed", "random": "random search, no pruning, replayed"}


def render(payload: dict[str, Any]) -> str:
    st, s, grid, runs = payload["stats"], payload["settings"], payload["grid"], payload["runs"]
    det = payload["determinism"]
    lines = [f"{s['grid_configs']} configurations × {s['max_epochs']} epochs; the grid trained for "
             f"{grid['seconds']:.0f} s ({grid['wall_seconds']:.0f} s wall) and its best is {100 * grid['best_val']:.2f} % "
             f"val ({grid['best_config']}; test {100 * grid['best_test']:.2f} %); one validation sample = "
             f"{100 / s['val_samples']:.2f} points; torch with {s['torch_threads']} thread(s). The budget is 1/3 of "
             f"the grid's training seconds: {s['budget_seconds']:.0f} s.", "",
             "| method | seeds | trials (pruned) | compute to get within 1 point of the grid's best, / grid: seconds | "
             "epochs | FLOPs | best val % at the budget | its test % | runs that found the grid's best |",
             "|---|---|---|---|---|---|---|---|---|"]
    for m in ("sizeup", "tpe", "random"):
        rs = runs[m]
        trials = f"{fmt([r['trials'] for r in rs], 0)}; pruned {fmt([r['status'].get('pruned', 0) for r in rs], 0)}"
        tests = [next((p["test"] for p in r["rows"] if p["config"] == r["best_config"]), None) for r in rs]
        lines.append(f"| {LABELS[m]} | {len(rs)} | {trials} | " + " | ".join(_fraction(st["reach"][m][u]) for u in UNITS)
                     + f" | {fmt(_nn(st['best_at_budget'][m]), 2, 100)} | {fmt(_nn(tests), 2, 100)} | {_found(payload, m)} |")
    lines += ["", "Medians (min–max) over the seeds. sizeup ran for real; its completed trials reproduced the grid's "
              f"validation accuracy for the same config in {det['identical']} of {det['completed']} cases, which is "
              "what makes replaying TPE and random search from the grid's trials exact. Pruned trials count with "
              "the epochs and seconds they trained.",
              f"sizeup's best at the budget is {'a tie with' if st['bar2_tied'] else ('above' if st['bar2_passed'] else 'below')} "
              f"random search's ({100 * st['margin_over_random']:+.2f} points; vs TPE {100 * st['margin_over_tpe']:+.2f})."]
    return "\n".join(lines) + "\n"


PLOT_CAPTION = ("Each line is one method and seed (3 seeds of each): its best validation accuracy so far after each "
                "trial, against the training seconds it had spent so far, up to 1.5 times the budget. The dashed line "
                "is 1 point below the grid's best, the dotted one the budget; the y axis starts 5 points below the "
                "grid's best. The grid's own line runs in its enumeration order (the MLPs first).")


def plot(payload: dict[str, Any], title: str) -> str | None:
    """The best-val-so-far curves against training seconds (the grid's, every sizeup seed, 3 seeds of the others)."""
    budget = payload["settings"]["budget_seconds"]
    pts = lambda c: [[p["seconds"], p["best"]] for p in c if p["seconds"] <= 1.5 * budget]  # noqa: E731
    series = [("grid", pts(payload["grid"]["curve"]))]
    series += [(f"{m} (seed {r['seed']})", pts(r["curve"])) for m, rs in payload["runs"].items() for r in rs[:3]]
    best = payload["grid"]["best_val"]
    return curves_svg(series, title=title, x_label="training seconds (all trials)", y_label="best validation accuracy",
                      target=best - POINT, y_floor=best - 5 * POINT, x_mark=(budget, "1/3 of the grid"))


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=FULL["sizeup_seeds"], quick_repeats=QUICK["sizeup_seeds"],
                      flags={"--all-threads": "let torch use its default thread count (default here: 1 thread)"})
    started = machine()
    payload = run(args.quick, repeats=args.repeats, all_threads=args.all_threads)
    print(f"raw figures: {write_results('search_efficiency' + ('-quick' if args.quick else ''), payload, started=started)}")


if __name__ == "__main__":
    main()
