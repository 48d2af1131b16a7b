"""Search efficiency on one small discrete space: sizeup's search vs Optuna TPE vs random search vs an exhaustive grid.

Bars (the medians over the search seeds):
  (1) sizeup's search finds a model within 1 point (0.01) of validation accuracy of the grid's best while
      spending at most 1/3 of the grid's compute;
  (2) at equal compute, sizeup's best validation accuracy beats random search's (strictly; a tie is reported
      as a tie, not as a pass).

    python benchmarks/search_efficiency.py           # 3 search seeds, 42-config grid, 15 epochs (about 5 minutes; 4.6 measured on 2 shared cores)
    python benchmarks/search_efficiency.py --mnist1d # the same on mnist1d (400 validation samples: no saturation)
    python benchmarks/search_efficiency.py --quick   # smoke run: 1 seed, 16-config grid, 8 epochs (about 1 minute; not a recorded result)

The space is PATCHED IN-PROCESS (this script only; sizeup's source is unchanged): the entries of
``sizeup.search.space.SPACES`` for ``mlp`` and ``cnn`` are replaced by small categorical lists, and
``suggest`` (as imported by ``sizeup.search.trial``) is replaced by one that draws ``lr`` from a categorical
list and fixes ``weight_decay`` at 0.01. Every other knob keeps the family's default. Each family's
default-config baseline (which ``search`` enqueues first, unpruned) snaps into this space; the script checks it.

All three methods train through the same code path, ``sizeup.search.trial.run_trial``, with the same
training seed (the task's ``[train] seed`` = 0), the same ``max_epochs`` and no per-trial time limit:
  * grid   -- every config enqueued once in an Optuna study, no pruning (``NopPruner``);
  * sizeup -- ``sizeup.search(task, trials=CAP, max_epochs=..., seed=s, export=False)``: TrialSeededTPE +
              Hyperband, with its two baselines. A progress hook stops the study (``study.stop()``) before the
              next trial could push its compute past 1/3 of the grid's (a whole trial is ``max_epochs`` epochs);
              the number of trials it ran is reported as N;
  * tpe    -- Optuna's ``TPESampler(seed=s)``, no pruning, no baselines, with the same compute rule as random;
  * random -- ``RandomSampler(seed=s)``, no pruning, full trials while the next one still fits in the epochs
              sizeup used for the same seed (so random never gets more compute than sizeup).
Every method records its best validation accuracy so far against the epochs spent so far (``curve``), from
which come the plot in docs/benchmarks.md and the epochs each needed to get within 1 point of the grid's best.
Compute is counted in epochs trained (primary: every epoch of every trial, pruned and failed ones included,
counted by the per-epoch hook) and in training seconds (secondary: the sum of ``train_seconds`` over completed
and pruned trials; noisy on a shared machine). The seeds vary the samplers only; training is the same for a
given config in every method, so the differences come from which configs each method tries.

"Best" in each method is sizeup's own ranking: the completed trial with the highest validation accuracy, ties
broken by validation loss, then parameters (``sizeup.search.leaderboard``). Its test accuracy is shown too.
Torch runs with 1 thread by default (``--all-threads`` to use torch's default): on a shared 2-core machine,
2 threads were ~100x slower for these tiny models because of oversubscription; every method runs the same way.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path
from collections.abc import Iterator
from typing import Any

import optuna
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import describe_machine, fmt, fmt_spread, machine, parse_args, row, spread, write_results  # noqa: E402
from _svg_curves import curves_svg  # noqa: E402

import sizeup  # noqa: E402
import sizeup.search.space as space  # noqa: E402
import sizeup.search.trial as trial_mod  # noqa: E402
from sizeup.search import search  # noqa: E402
from sizeup.search.leaderboard import leaderboard  # noqa: E402
from sizeup.search.space import default_params, searchable_families  # noqa: E402
from sizeup.search.trial import SearchContext, run_trial  # noqa: E402

WEIGHT_DECAY = 0.01
POINT = 0.01
# knob -> categorical choices; "lr" is the training setting. The defaults (mlp 128x2, cnn 32x3 k5, lr 5e-3
# for images) are inside both spaces.
FULL = {"max_epochs": 15, "space": {
    "mlp": {"width": [32, 128, 512], "depth": [1, 2], "lr": [1e-3, 5e-3, 2e-2]},
    "cnn": {"width": [8, 32], "depth": [2, 3], "kernel": [3, 5], "lr": [1e-3, 5e-3, 2e-2]},
}}
QUICK = {"max_epochs": 8, "space": {
    "mlp": {"width": [32, 128, 512], "depth": [1, 2], "lr": [1e-3, 5e-3]},
    "cnn": {"width": [8, 32], "depth": [3], "kernel": [5], "lr": [1e-3, 5e-3]},
}}
# MNIST-1D: a 400-sample validation split that does not saturate at 100 % the way digits' 135 do.
# Its default learning rate for signals (1e-2) is in the lr list, so the baselines lie in the space.
MNIST1D = {"max_epochs": 15, "space": {
    "mlp": {"width": [32, 128, 512], "depth": [1, 2], "lr": [2e-3, 1e-2, 3e-2]},
    "cnn": {"width": [8, 32], "depth": [2, 3], "kernel": [3, 5], "lr": [2e-3, 1e-2, 3e-2]},
}}
MNIST1D_QUICK = {"max_epochs": 6, "space": {
    "mlp": {"width": [32, 128], "depth": [2], "lr": [2e-3, 1e-2]},
    "cnn": {"width": [8, 32], "depth": [3], "kernel": [5], "lr": [2e-3, 1e-2]},
}}
TRIAL_CAP = 500  # sizeup's trials=: never reached; the compute budget stops the search first


# ----------------------------------------------------------------------------- the patched space

@contextlib.contextmanager
def patched_space(spec: dict[str, dict[str, list[Any]]]) -> Iterator[None]:
    """Sample exactly ``spec`` inside the block; sizeup's own space and ``suggest`` come back afterwards, so
    other cases run by ``benchmarks/run.py`` in the same process see the real search."""
    saved = {f: space.SPACES.get(f) for f in spec}, space.suggest, trial_mod.suggest
    patch_space(spec)
    try:
        yield
    finally:
        for family, entry in saved[0].items():
            if entry is None:
                space.SPACES.pop(family, None)
            else:
                space.SPACES[family] = entry
        space.suggest, trial_mod.suggest = saved[1], saved[2]


def patch_space(spec: dict[str, dict[str, list[Any]]]) -> None:
    """Replace SPACES' entries and ``suggest`` so the search samples exactly ``spec`` (this process only)."""
    for family, knobs in spec.items():
        space.SPACES[family] = {k: ("cat", list(v)) for k, v in knobs.items() if k != "lr"}

    def suggest(trial: optuna.Trial, families: list[str]) -> tuple[str, dict[str, Any], dict[str, Any]]:
        family = trial.suggest_categorical("family", families)
        knobs = {k: trial.suggest_categorical(f"{family}.{k}", v) for k, v in spec[family].items() if k != "lr"}
        settings = {"lr": trial.suggest_categorical(f"{family}.lr", spec[family]["lr"]), "weight_decay": WEIGHT_DECAY}
        return family, knobs, settings

    space.suggest = suggest
    trial_mod.suggest = suggest  # run_trial calls the name it imported


def grid_configs(spec: dict[str, dict[str, list[Any]]]) -> list[dict[str, Any]]:
    out = []
    for family, knobs in spec.items():
        names = list(knobs)
        for values in itertools.product(*(knobs[n] for n in names)):
            out.append({"family": family, **{f"{family}.{n}": v for n, v in zip(names, values)}})
    return out


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

class Meter:
    """Counts epochs per trial (the per-epoch hook sees pruned and failed trials too); optionally stops the
    study before the next trial could take the epoch count past ``budget``. Also a ``SearchProgress``."""

    def __init__(self, max_epochs: int, budget: float | None = None) -> None:
        self.max_epochs, self.budget, self.epochs, self.per_trial = max_epochs, budget, 0, {}

    def start(self, **_: Any) -> None: ...

    def stop(self) -> None: ...

    def epoch(self, trial: int, logs: dict[str, Any]) -> None:
        self.epochs += 1
        self.per_trial[trial] = self.per_trial.get(trial, 0) + 1

    def trial_done(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        if self.budget is not None and self.epochs + self.max_epochs > self.budget:
            study.stop()


def curve(board, meter: Meter) -> list[list[float | None]]:
    """Best validation accuracy so far against epochs spent so far, after each trial in the order they ran."""
    val = {int(t): v for t, v, st in zip(board["trial"], board["val_accuracy"], board["status"]) if st == "completed"}
    out, spent, best = [], 0, None
    for number in sorted(set(meter.per_trial) | set(val)):
        spent += meter.per_trial.get(number, 0)
        if val.get(number) is not None and (best is None or val[number] > best):
            best = float(val[number])
        out.append([spent, best])
    return out


def epochs_to_reach(points: list[list[float | None]], target: float) -> float | None:
    """Epochs spent when the best validation accuracy first reached ``target``; ``None`` if it never did."""
    return next((e for e, b in points if b is not None and b >= target - 1e-9), None)


def describe(params: dict[str, Any]) -> str:
    family = params.get("family", "?")
    return family + " " + " ".join(f"{k.split('.', 1)[1]}={v:g}" for k, v in params.items() if k != "family")


def summarize(study: optuna.Study, meter: Meter, wall: float, n_train: int, **extra: Any) -> dict[str, Any]:
    board = leaderboard(study, "accuracy", higher_is_better=True)
    # training compute weighted by model size: 3 x forward FLOPs per sample x training samples x epochs trained
    flops = {t.number: t.user_attrs.get("flops") or 0 for t in study.trials}
    tflop = sum(3 * flops.get(n, 0) * n_train * e for n, e in meter.per_trial.items()) / 1e12
    done = board[board["status"] == "completed"]
    best = done.iloc[0] if len(done) else None
    counts = board["status"].value_counts().to_dict()
    return {
        **extra, "curve": curve(board, meter), "trials": len(board), "status": {k: int(v) for k, v in counts.items()},
        "epochs": meter.epochs, "train_seconds": float(board["train_seconds"].fillna(0).sum()), "wall_seconds": wall,
        "train_tflop": tflop,
        "best_val": None if best is None else float(best["val_accuracy"]),
        "best_test": None if best is None else float(best["test_accuracy"]),
        "best_model": None if best is None else str(best["model"]),
        "best_trial": None if best is None else int(best["trial"]),
        "best_params": None if best is None else study.trials[int(best["trial"])].params,
        "best_config": None if best is None else describe(study.trials[int(best["trial"])].params),
    }


def context(task: sizeup.Task, data: Any, out: Path, max_epochs: int, meter: Meter) -> SearchContext:
    families = searchable_families(data.info.input_kind, task.search.families)
    return SearchContext(task=task, data=data, families=families, limits={}, metric="accuracy", out_dir=out,
                         max_epochs=max_epochs, trial_seconds=None, on_epoch=meter.epoch)


def run_own_study(task, data, max_epochs, sampler, *, enqueue=(), n_trials=None, budget=None) -> dict[str, Any]:
    """Grid or random: a plain Optuna study, no pruning, every trial through ``run_trial``."""
    meter = Meter(max_epochs, budget)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=optuna.pruners.NopPruner())
    for params in enqueue:
        study.enqueue_trial(params)
    with tempfile.TemporaryDirectory() as tmp:
        ctx = context(task, data, Path(tmp), max_epochs, meter)
        start = time.perf_counter()
        if budget is not None and meter.max_epochs > budget:
            n_trials = 0
        if n_trials != 0:
            study.optimize(lambda t: run_trial(t, ctx), n_trials=n_trials, callbacks=[meter.trial_done],
                           catch=(Exception,))
        wall = time.perf_counter() - start
    return summarize(study, meter, wall, len(data.train))


def run_sizeup(task, n_train, max_epochs, seed, budget) -> dict[str, Any]:
    meter = Meter(max_epochs, budget)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        res = search(task, trials=TRIAL_CAP, max_epochs=max_epochs, seed=seed, export=False, out=Path(tmp) / "run",
                     progress=meter)
        wall = time.perf_counter() - start
        out = summarize(res.study, meter, wall, n_train)
        rec = res.recommended.row or {}
        out["recommended"] = {"trial": res.recommended.trial, "val": rec.get("val_accuracy"),
                              "test": rec.get("test_accuracy"), "model": rec.get("model")}
        board = res.leaderboard
        base = board[board["trial"].isin([t.number for t in res.study.trials if t.user_attrs.get("baseline")])]
        base = base[base["status"] == "completed"]
        out["baselines_best_val"] = float(base["val_accuracy"].max()) if len(base) else None
    return out


# ----------------------------------------------------------------------------- report

def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.2f}"


def _row_line(method: str, seed: Any, r: dict[str, Any], grid: dict[str, Any]) -> str:
    ratio = r["epochs"] / grid["epochs"]
    val, test = _pct(r["best_val"]), _pct(r["best_test"])
    st = r["status"]
    trials = f"{r['trials']} ({st.get('pruned', 0)} pr, {st.get('failed', 0)} f)"
    return (f"{method:<8} {str(seed):>4} {trials:>16} {r['epochs']:>7} {ratio:>6.3f} {r['train_seconds']:>8.1f} "
            f"{r['train_seconds'] / grid['train_seconds']:>6.3f} {r['train_tflop']:>7.3f} {r['train_tflop'] / grid['train_tflop']:>6.3f} "
            f"{r['wall_seconds']:>7.1f} {val:>7} {test:>7}  {r['best_config']}")


CONFIGS = {("digits", False): FULL, ("digits", True): QUICK, ("mnist1d", False): MNIST1D, ("mnist1d", True): MNIST1D_QUICK}
METHODS = ("sizeup", "tpe", "random")  # the grid runs once; these once per seed


def efficiency_task(source: str, spec: dict[str, Any], folder: Path) -> sizeup.Task:
    path = folder / "efficiency.toml"
    fams = ", ".join(f'"{f}"' for f in spec)
    path.write_text(f'name = "efficiency"\n[data]\nsource = "{source}"\n[search]\nfamilies = [{fams}]\n'
                    'metric = "accuracy"\n', encoding="utf-8")
    return sizeup.Task.from_toml(path)


def run_methods(task, data, max_epochs: int, seed: int, budget: float) -> dict[str, dict[str, Any]]:
    """sizeup up to ``budget`` epochs; then TPE without pruning and random search up to sizeup's epochs."""
    gc.collect()
    out = {"sizeup": run_sizeup(task, len(data.train), max_epochs, seed, budget)}
    for method, sampler in (("tpe", optuna.samplers.TPESampler(seed=seed)),
                            ("random", optuna.samplers.RandomSampler(seed=seed))):
        gc.collect()
        out[method] = run_own_study(task, data, max_epochs, sampler, n_trials=TRIAL_CAP, budget=out["sizeup"]["epochs"])
    for method, r in out.items():
        r["seed"] = seed
        print(f"  seed {seed} {method:<6}: {r['trials']} trials, {r['epochs']} epochs, best val {_pct(r['best_val'])} %",
              flush=True)
    return out


def run(quick: bool = False, *, source: str = "digits", repeats: int | None = None,
        all_threads: bool = False) -> dict[str, Any]:
    cfg = CONFIGS[(source, quick)]
    spec, max_epochs = cfg["space"], cfg["max_epochs"]
    seeds = list(range(repeats or (1 if quick else 3)))
    threads = torch.get_num_threads()
    if not all_threads:
        torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    try:
        with patched_space(spec), tempfile.TemporaryDirectory() as tmp:
            task = efficiency_task(source, spec, Path(tmp))
            return _run(task, source, spec, max_epochs, seeds, quick)
    finally:
        torch.set_num_threads(threads)


def _run(task, source: str, spec, max_epochs: int, seeds: list[int], quick: bool) -> dict[str, Any]:
    data = sizeup.load_data(task)
    configs = grid_configs(spec)
    baselines = check_baselines(spec, data.info.input_kind)
    print(f"machine: {describe_machine(machine())}; torch threads {torch.get_num_threads()}")
    print(f"{source}: {len(data.train)} train / {len(data.val)} val / {len(data.test)} test; "
          f"one validation sample = {100 / len(data.val):.2f} points")
    for family, knobs in spec.items():
        print(f"  {family}: " + " x ".join(f"{k} {v}" for k, v in knobs.items()) + f"  (weight_decay {WEIGHT_DECAY})")
    print(f"grid: {len(configs)} configs x {max_epochs} epochs (no pruning); seeds {seeds}"
          f"{'  (QUICK smoke run, not a recorded result)' if quick else ''}")
    print(f"baselines search enqueues (in the space): {baselines}", flush=True)

    gc.collect()
    grid = run_own_study(task, data, max_epochs, optuna.samplers.RandomSampler(seed=0), enqueue=configs,
                         n_trials=len(configs))
    budget = grid["epochs"] / 3
    print(f"grid done: {grid['epochs']} epochs, {grid['train_seconds']:.1f} s training, {grid['wall_seconds']:.1f} s wall; "
          f"best val {100 * grid['best_val']:.2f} % ({grid['best_config']}); sizeup budget {budget:.1f} epochs", flush=True)
    runs: dict[str, list[dict[str, Any]]] = {m: [] for m in METHODS}
    for seed in seeds:
        for method, r in run_methods(task, data, max_epochs, seed, budget).items():
            runs[method].append(r)

    print(f"\n{'method':<8} {'seed':>4} {'trials':>16} {'epochs':>7} {'/grid':>6} {'train s':>8} {'/grid':>6} "
          f"{'TFLOP':>7} {'/grid':>6} {'wall s':>7} {'val %':>7} {'test %':>7}  best config (trials: pr = pruned, f = failed)")
    print(_row_line("grid", "-", grid, grid))
    for i, seed in enumerate(seeds):
        for method in METHODS:
            print(_row_line(method, seed, runs[method][i], grid))
    payload = {"settings": {"quick": quick, "source": source, "seeds": seeds, "max_epochs": max_epochs, "space": spec,
                            "weight_decay": WEIGHT_DECAY, "grid_configs": len(configs),
                            "torch_threads": torch.get_num_threads(), "sizeup_budget_epochs": budget,
                            "val_samples": len(data.val)},
               "grid": grid, "runs": runs}
    payload["stats"] = stats(payload)
    payload["summary"] = summary_rows(payload)
    for r in payload["summary"]:
        print(f"{r['figure']}: {r['value']}" + (f"  bar {r['bar']}: {r['met']}" if r["bar"] else ""))
    return payload


# ----------------------------------------------------------------------------- figures from the raw results

def _vals(runs: list[dict[str, Any]], key: str) -> list[float]:
    return [r[key] if r[key] is not None else float("nan") for r in runs]


def stats(payload: dict[str, Any]) -> dict[str, Any]:
    grid, runs = payload["grid"], payload["runs"]
    ours = runs["sizeup"]
    ratio_epochs = [r["epochs"] / grid["epochs"] for r in ours]
    ratio_seconds = [r["train_seconds"] / grid["train_seconds"] for r in ours]
    ratio_flop = [r["train_tflop"] / grid["train_tflop"] for r in ours]
    gap = [grid["best_val"] - v for v in _vals(ours, "best_val")]
    margin = [a - b for a, b in zip(_vals(ours, "best_val"), _vals(runs["random"], "best_val"))]
    m_ratio, m_gap, m_margin = (spread(x)["median"] for x in (ratio_epochs, gap, margin))
    out = {"sizeup_over_grid_epochs": spread(ratio_epochs), "sizeup_over_grid_seconds": spread(ratio_seconds),
           "sizeup_over_grid_flops": spread(ratio_flop), "gap_to_grid_best_val": spread(gap),
           "margin_over_random_val": spread(margin), "margin_over_random_per_seed": margin,
           "bar1_passed": m_ratio <= 1 / 3 + 1e-9 and m_gap <= POINT + 1e-9,
           "bar2_passed": m_margin > 0, "bar2_tied": m_margin == 0}
    if "tpe" in runs:
        out["margin_over_tpe_per_seed"] = [a - b for a, b in zip(_vals(ours, "best_val"), _vals(runs["tpe"], "best_val"))]
    if "curve" in grid:  # result files from before the curves were recorded have none
        target = grid["best_val"] - POINT
        reach = {"grid": [epochs_to_reach(grid["curve"], target)]}
        reach.update({m: [epochs_to_reach(r["curve"], target) for r in rs] for m, rs in runs.items()})
        out["epochs_to_within_point"] = reach
    return out


def _stats(payload: dict[str, Any]) -> dict[str, Any]:
    # result files from before the summary rows have no "stats"; their raw runs give the same figures
    return payload.get("stats") or stats(payload)


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    st, source = _stats(payload), payload["settings"].get("source") or ("mnist1d" if payload["settings"]["val_samples"] == 400 else "digits")
    gap = st["gap_to_grid_best_val"]["median"]
    out = [row(f"search, {source}: sizeup within 1 point of the grid's best val with ≤ 1/3 of its compute (epochs)",
               f"{fmt_spread(st['sizeup_over_grid_epochs'], 3)} of the grid's epochs, gap {100 * gap:.2f} points",
               bar="≤ 0.333, gap ≤ 1 point", met=st["bar1_passed"], issue="#3"),
           row(f"search, {source}: the same counting compute in training seconds / FLOPs",
               f"{fmt_spread(st['sizeup_over_grid_seconds'], 3)} / {fmt_spread(st['sizeup_over_grid_flops'], 3)}",
               bar="≤ 0.333", met=st["sizeup_over_grid_seconds"]["median"] <= 1 / 3 and gap <= POINT + 1e-9, issue="#3")]
    margin = st["margin_over_random_val"]["median"]
    word = "a tie" if st["bar2_tied"] else f"{100 * margin:+.2f} points"
    out.append(row(f"search, {source}: sizeup beats random search at equal compute (median margin of best val)",
                   f"{word} (per seed {', '.join(f'{100 * x:+.2f}' for x in st.get('margin_over_random_per_seed', []))})",
                   bar="> 0 (strictly)", met=st["bar2_passed"], issue="#3"))
    if "margin_over_tpe_per_seed" in st:
        m = spread(st["margin_over_tpe_per_seed"])["median"]
        out.append(row(f"search, {source}: sizeup vs Optuna TPE without pruning at equal compute (median margin)",
                       f"{100 * m:+.2f} points", bar=None, met=None))
    return out


def _reach_cell(values: list[float | None], grid_epochs: int) -> str:
    got = [v / grid_epochs for v in values if v is not None]
    never = len(values) - len(got)
    text = "never" if not got else (f"{got[0]:.3f}" if len(values) == 1 else fmt(got, 3))
    return text + (f" ({never} of {len(values)} never)" if got and never else "")


def render(payload: dict[str, Any]) -> str:
    st, s, grid, runs = _stats(payload), payload["settings"], payload["grid"], payload["runs"]
    methods = [m for m in ("grid", *METHODS) if m == "grid" or m in runs]
    lines = [f"{s['grid_configs']} configurations × {s['max_epochs']} epochs; seeds {s['seeds']}; one validation "
             f"sample = {100 / s['val_samples']:.2f} points; torch with {s['torch_threads']} thread(s).", "",
             "| method | compute / grid: epochs | seconds | FLOPs | best val % | its test % |"
             + (" epochs to within 1 point of the grid's best, / grid |" if "epochs_to_within_point" in st else ""),
             "|---|---|---|---|---|---|" + ("---|" if "epochs_to_within_point" in st else "")]
    for m in methods:
        rs = [grid] if m == "grid" else runs[m]
        cells = [fmt([r["epochs"] / grid["epochs"] for r in rs], 3), fmt([r["train_seconds"] / grid["train_seconds"] for r in rs], 3),
                 fmt([r["train_tflop"] / grid["train_tflop"] for r in rs], 3), fmt(_vals(rs, "best_val"), 2, 100),
                 fmt(_vals(rs, "best_test"), 2, 100)]
        if "epochs_to_within_point" in st:
            cells.append(_reach_cell(st["epochs_to_within_point"][m], grid["epochs"]))
        label = {"grid": "exhaustive grid, no pruning", "sizeup": "sizeup `search` (TPE + Hyperband + baselines)",
                 "tpe": "Optuna TPE, no pruning", "random": "random search, no pruning"}[m]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", f"Medians (min–max) over {len(s['seeds'])} seed(s). TPE and random search get up to sizeup's "
              "epochs for the same seed; sizeup stops before passing 1/3 of the grid's epochs."]
    base = [r["baselines_best_val"] for r in runs["sizeup"] if r.get("baselines_best_val") is not None]
    if base:
        lines.append(f"sizeup's two default-config baselines alone reach a best val of {fmt(base, 2, 100)} % "
                     "(how much the defaults already give).")
    return "\n".join(lines) + "\n"


def plot(payload: dict[str, Any], title: str) -> str | None:
    """The best-val-so-far curves of every method and seed, or ``None`` for a result file without curves."""
    if "curve" not in payload["grid"]:
        return None
    series = [("grid", payload["grid"]["curve"])]
    series += [(f"{m} (seed {r['seed']})", r["curve"]) for m, rs in payload["runs"].items() for r in rs]
    return curves_svg(series, title=title, x_label="epochs trained (all trials)", y_label="best validation accuracy",
                      target=payload["grid"]["best_val"] - POINT)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=3, quick_repeats=1,
                      flags={"--all-threads": "let torch use its default thread count (default here: 1 thread)",
                             "--mnist1d": "run on mnist1d instead of digits (its validation split does not saturate)"})
    started = machine()
    source = "mnist1d" if args.mnist1d else "digits"
    payload = run(args.quick, source=source, repeats=args.repeats, all_threads=args.all_threads)
    name = "search_efficiency" + ("-mnist1d" if args.mnist1d else "") + ("-quick" if args.quick else "")
    print(f"raw figures: {write_results(name, payload, started=started)}")


if __name__ == "__main__":
    main()
