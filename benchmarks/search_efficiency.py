"""Search efficiency on one small discrete space (digits): sizeup's search vs an exhaustive grid vs random search.

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
  * random -- ``RandomSampler(seed=s)``, no pruning, full trials while the next one still fits in the epochs
              sizeup used for the same seed (so random never gets more compute than sizeup).
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

import gc
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import optuna
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import describe_machine, fmt, machine, parse_args, spread, verdict, write_results  # noqa: E402

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
        **extra, "trials": len(board), "status": {k: int(v) for k, v in counts.items()},
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


def row(method: str, seed: Any, r: dict[str, Any], grid: dict[str, Any]) -> str:
    ratio = r["epochs"] / grid["epochs"]
    val, test = _pct(r["best_val"]), _pct(r["best_test"])
    st = r["status"]
    trials = f"{r['trials']} ({st.get('pruned', 0)} pr, {st.get('failed', 0)} f)"
    return (f"{method:<8} {str(seed):>4} {trials:>16} {r['epochs']:>7} {ratio:>6.3f} {r['train_seconds']:>8.1f} "
            f"{r['train_seconds'] / grid['train_seconds']:>6.3f} {r['train_tflop']:>7.3f} {r['train_tflop'] / grid['train_tflop']:>6.3f} "
            f"{r['wall_seconds']:>7.1f} {val:>7} {test:>7}  {r['best_config']}")


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=3, quick_repeats=1,
                      flags={"--all-threads": "let torch use its default thread count (default here: 1 thread)",
                             "--mnist1d": "run on mnist1d instead of digits (its validation split does not saturate)"})
    if not args.all_threads:
        torch.set_num_threads(1)
    source = "mnist1d" if args.mnist1d else "digits"
    cfg = (MNIST1D_QUICK if args.quick else MNIST1D) if args.mnist1d else (QUICK if args.quick else FULL)
    spec, max_epochs = cfg["space"], cfg["max_epochs"]
    seeds = list(range(args.repeats))
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    patch_space(spec)

    tmp_task = tempfile.TemporaryDirectory()
    path = Path(tmp_task.name) / "efficiency.toml"
    fams = ", ".join(f'"{f}"' for f in spec)
    path.write_text(f'name = "efficiency"\n[data]\nsource = "{source}"\n[search]\nfamilies = [{fams}]\n'
                    'metric = "accuracy"\n', encoding="utf-8")
    task = sizeup.Task.from_toml(path)
    data = sizeup.load_data(task)
    configs = grid_configs(spec)
    baselines = check_baselines(spec, data.info.input_kind)

    print(f"machine: {describe_machine(machine())}; torch threads {torch.get_num_threads()}")
    print(f"{source}: {len(data.train)} train / {len(data.val)} val / {len(data.test)} test; "
          f"one validation sample = {100 / len(data.val):.2f} points")
    for family, knobs in spec.items():
        print(f"  {family}: " + " x ".join(f"{k} {v}" for k, v in knobs.items()) + f"  (weight_decay {WEIGHT_DECAY})")
    print(f"grid: {len(configs)} configs x {max_epochs} epochs (no pruning); seeds {seeds}"
          f"{'  (QUICK smoke run, not a recorded result)' if args.quick else ''}")
    print(f"baselines search enqueues (in the space): {baselines}", flush=True)

    gc.collect()
    grid = run_own_study(task, data, max_epochs, optuna.samplers.RandomSampler(seed=0), enqueue=configs,
                         n_trials=len(configs))
    budget = grid["epochs"] / 3
    print(f"grid done: {grid['epochs']} epochs, {grid['train_seconds']:.1f} s training, {grid['wall_seconds']:.1f} s wall; "
          f"best val {100 * grid['best_val']:.2f} % ({grid['best_config']}); sizeup budget {budget:.1f} epochs", flush=True)

    runs: dict[str, list[dict[str, Any]]] = {"sizeup": [], "random": []}
    for seed in seeds:
        gc.collect()
        s = run_sizeup(task, len(data.train), max_epochs, seed, budget)
        s["seed"] = seed
        runs["sizeup"].append(s)
        print(f"  seed {seed} sizeup: N = {s['trials']} trials, {s['epochs']} epochs, best val {_pct(s['best_val'])} %",
              flush=True)
        gc.collect()
        r = run_own_study(task, data, max_epochs, optuna.samplers.RandomSampler(seed=seed), n_trials=TRIAL_CAP,
                          budget=s["epochs"])
        r["seed"] = seed
        runs["random"].append(r)
        print(f"  seed {seed} random: {r['trials']} trials, {r['epochs']} epochs, best val {_pct(r['best_val'])} %",
              flush=True)

    print(f"\n{'method':<8} {'seed':>4} {'trials':>16} {'epochs':>7} {'/grid':>6} {'train s':>8} {'/grid':>6} "
          f"{'TFLOP':>7} {'/grid':>6} {'wall s':>7} {'val %':>7} {'test %':>7}  best config (trials: pr = pruned, f = failed)")
    print(row("grid", "-", grid, grid))
    for seed_i in range(len(seeds)):
        print(row("sizeup", seeds[seed_i], runs["sizeup"][seed_i], grid))
        print(row("random", seeds[seed_i], runs["random"][seed_i], grid))

    def vals(method: str, key: str) -> list[float]:
        return [r[key] if r[key] is not None else float("nan") for r in runs[method]]

    ratio_epochs = [r["epochs"] / grid["epochs"] for r in runs["sizeup"]]
    ratio_seconds = [r["train_seconds"] / grid["train_seconds"] for r in runs["sizeup"]]
    ratio_flop = [r["train_tflop"] / grid["train_tflop"] for r in runs["sizeup"]]
    gap = [grid["best_val"] - v for v in vals("sizeup", "best_val")]
    margin = [a - b for a, b in zip(vals("sizeup", "best_val"), vals("random", "best_val"))]
    print(f"\nmedian (min–max) over {len(seeds)} seed(s):")
    print(f"  sizeup compute / grid: epochs {fmt(ratio_epochs, 3)} (primary), training seconds {fmt(ratio_seconds, 3)}, "
          f"training FLOPs {fmt(ratio_flop, 3)}")
    print(f"  random compute / sizeup (epochs): {fmt([r['epochs'] / s['epochs'] for r, s in zip(runs['random'], runs['sizeup'])], 3)}")
    for method in runs:
        print(f"  {method:<7} best val {fmt(vals(method, 'best_val'), 2, 100)} %, its test "
              f"{fmt(vals(method, 'best_test'), 2, 100)} %")
    print(f"  grid    best val {100 * grid['best_val']:.2f} %, its test {100 * grid['best_test']:.2f} %")
    base = [r["baselines_best_val"] for r in runs["sizeup"] if r["baselines_best_val"] is not None]
    if base:
        print(f"  sizeup's two default-config baselines alone: best val {fmt(base, 2, 100)} % "
              f"(information: how much the defaults already give)")
    rec = [r["recommended"]["test"] for r in runs["sizeup"] if r["recommended"]["test"] is not None]
    if rec:
        print(f"  sizeup's recommended model: test {fmt(rec, 2, 100)} %")

    m_ratio, m_gap, m_margin = (spread(x)["median"] for x in (ratio_epochs, gap, margin))
    bar1 = m_ratio <= 1 / 3 + 1e-9 and m_gap <= POINT + 1e-9
    print(f"\nbar 1: sizeup within {POINT:.2f} of the grid's best val with ≤ 1/3 of its compute: "
          f"gap {100 * m_gap:.2f} points, compute {m_ratio:.3f} of the grid (epochs) -> {verdict(bar1)}")
    for unit, values in (("training seconds", ratio_seconds), ("training FLOPs", ratio_flop)):
        ok = spread(values)["median"] <= 1 / 3 and m_gap <= POINT + 1e-9
        print(f"       the same bar counting compute in {unit}: {spread(values)['median']:.3f} of the grid -> {verdict(ok)}"
              " (secondary)")
    if m_margin > 0:
        word = "PASS"
    elif m_margin == 0:
        word = "TIE (not beaten; FAIL for a strict 'beats')"
    else:
        word = "FAIL"
    print(f"bar 2: sizeup beats random search at equal compute: median margin {100 * m_margin:+.2f} points of val "
          f"accuracy (per seed: {', '.join(f'{100 * x:+.2f}' for x in margin)}) -> {word}")

    name = "search_efficiency" + ("-mnist1d" if args.mnist1d else "") + ("-quick" if args.quick else "")
    out = write_results(name, {
        "settings": {"quick": args.quick, "seeds": seeds, "max_epochs": max_epochs, "space": spec,
                     "weight_decay": WEIGHT_DECAY, "grid_configs": len(configs), "torch_threads": torch.get_num_threads(),
                     "sizeup_budget_epochs": budget, "val_samples": len(data.val)},
        "grid": grid, "runs": runs,
        "summary": {"sizeup_over_grid_epochs": spread(ratio_epochs), "sizeup_over_grid_seconds": spread(ratio_seconds),
                    "sizeup_over_grid_flops": spread(ratio_flop),
                    "gap_to_grid_best_val": spread(gap), "margin_over_random_val": spread(margin),
                    "bar1_passed": bar1, "bar2_passed": m_margin > 0, "bar2_tied": m_margin == 0},
    })
    print(f"raw figures: {out}")
    tmp_task.cleanup()


if __name__ == "__main__":
    main()
