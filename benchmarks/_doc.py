"""docs/benchmarks.md from the result JSONs: the header, one uniform summary table, then a section per case.

Every figure comes from a JSON in the results folder; the prose here says how each case measures, never what
it found. A case with a ``render(payload)`` renders its own section; any other case gets a generic one.
"""

from __future__ import annotations

import importlib
import json
import os
from pathlib import Path
from typing import Any

from _common import ROOT

INTRO = """\
Every figure here comes from `benchmarks/run.py`, which runs sizeup and the alternatives a user would
otherwise reach for side by side, in one process on one machine. Repeats are interleaved, so drift on a
shared machine hits every contender equally; timings are medians with the min–max beside them, and
comparisons are ratios. Timing goes through `sizeup.measurement.time_call`, the function sizeup's own
measurements use. Each case writes its raw figures, with the command, the machine, the date and the load
average, to `benchmarks/results/<case>.json`; this page is generated from those files
(`python benchmarks/run.py --doc-only` regenerates it without running anything).

Set up with `pip install torch==2.13.0 -e '.[dev,bench]'` (Keras 3 is in the `bench` extra)."""

CASE_INTROS = {
    "train_loop": """\
- **Models:** the MNIST-1D reference CNN (Greydanus 2020, `ConvBase`: Conv1d 1→25 k5 s2, then 25→25 k3 s2
  twice, all with padding 1, ReLU, Linear 125→10; 5,210 parameters) with the published settings (Adam 1e-2,
  batch 100), and a small pre-norm Transformer encoder over the 40 time steps (width 32, 4 heads, 2 layers,
  feed-forward 64, mean pooling; Adam 1e-3, batch 100). The script builds each model in PyTorch and in Keras
  and asserts equal parameter counts.
- **sizeup:** `fit(model, data, TrainConfig(optimizer="adam", lr=..., batch_size=100, schedule="constant",
  clip_grad=None, augment=False, weight_decay=0.0, patience=None, epochs=...))`, timed as the whole `fit`
  call: it **includes** the per-epoch validation and the best-weights copy, and the ratios use this figure.
  The "steps only" row subtracts that per-epoch overhead (measured by a callback), for information.
- **Plain loop:** the loop a user writes by hand: `randperm` per epoch, index slicing, `zero_grad`,
  `loss.backward()`, `step()` and `loss.item()` on every step, with `torch.optim.Adam`.
- **Keras 3:** `KERAS_BACKEND=torch`, the same network in Keras layers, `SparseCategoricalCrossentropy(from_logits=True)`,
  compiled with no metrics, `model.fit(x, y, batch_size=100, epochs=..., verbose=0, shuffle=True)`.
- The same number of epochs (hence steps) for all three; one warm-up run each before the timed rounds.
  The issue #2 bars apply to the CNN; the Transformer's ratios are information. Why sizeup's loop is not
  slower than the plain one: the forward and backward passes are the same, and sizeup asks PyTorch for the
  fused Adam kernel (`fused=True`); `python benchmarks/train_loop.py --profile` shows the split.""",
    "time_to_accuracy": """\
- **MNIST-1D:** `sizeup.train("examples/mnist1d.toml", "cnn", save=False, seed=s)` with sizeup's defaults, the
  same as `sizeup train examples/mnist1d.toml --family cnn`. The baseline is the reference CNN trained by the
  plain loop with the published settings (Adam 1e-2, batch 100) on the same training split, scored on the
  same test split.
- **digits:** `sizeup.train("examples/digits.toml", "cnn", save=False, seed=s)`; the default CNN sizes are
  those of the `small` preset.
- **Training seconds:** for sizeup, `FitResult.train_seconds`, the loop's own clock (steps and per-epoch
  validation; data loading, the final test evaluation and `measure()` fall outside it); for the plain loop,
  the steps. The verdict is on the medians over the seeds.""",
    "search_bars": """\
Each repeat is `sizeup search examples/<task>.toml --budget <B> --seed <s> --out <fresh folder>`, run as a
subprocess the way a user runs it; the case reads `recommendation.json` and `leaderboard.csv` back. The
constraints are those of the example files (MNIST-1D `max_latency_ms = 2`, `max_params = 200,000`; digits
`max_latency_ms = 2`). Trials that do not complete were pruned by Hyperband or rejected before training by a
constraint. The full run searches digits with three seeds and MNIST-1D with one: digits is the bar that once
failed. Its validation split is 135 images, so many candidates tie at 100 % validation accuracy. Early
stopping used to keep the first epoch that reached the top, usually mid-schedule and the least trained one,
and one such run recommended a 97.8 % model. Since commit b7395d6 a tie goes to the epoch with the lower
validation loss.""",
    "search_efficiency": """\
**The space** is discrete and is patched into the search in the benchmark process only (see the script's
docstring): mlp width × depth × lr and cnn width × depth × kernel × lr, weight decay fixed at 0.01.
**The methods:**
- **grid:** every configuration through the search's own `run_trial`, no pruning;
- **sizeup:** `search()` run for real (TPE, Hyperband and its two unpruned family baselines), stopped once its
  training seconds reach 1/3 of the grid's;
- **Optuna TPE** (`TPESampler`, no pruning) and **random** (`RandomSampler`, no pruning): replayed from the grid's
  trials up to the same compute. A trial without pruning trains its config exactly as the grid's trial of it did,
  with the same seed; the case checks that on every trial sizeup completed.

Compute is training seconds (the loop's clock, pruned and failed trials included); epochs and training FLOPs are
shown too. "Within 1 point" means validation accuracy at least the grid's best minus 0.01. The family defaults
are good on this data, so sizeup (which trains them first) can get within a point early; bar 2, the best
validation accuracy at equal compute, is the one that measures the search itself.""",
    "text": """\
The baseline is what a user reaches for first: scikit-learn's `TfidfVectorizer(analyzer="char",
ngram_range=(1, 3), sublinear_tf=True)` over title + "。" + content (the text sizeup reads), then
`LogisticRegression(class_weight="balanced")`, with C tuned fairly: each C of the grid is fitted on the
training split, the best validation (dev) macro-F1 picks it, and that model is scored once on test. sizeup
runs `sizeup.search("examples/zh-news.toml", budget=...)` in a fresh folder and the recommended model's
test macro-F1 is read from its leaderboard row. Both use the package's train / dev / test split.""",
    "latency": """\
For each model, in eval mode under `torch.inference_mode`, one MNIST-1D sample: sizeup's
`sizeup.measure(model, batch).latency_ms` (the median of batch-1 calls after warm-up) against PyTorch's own
`torch.utils.benchmark.Timer("model(x)", num_threads=...).blocked_autorange(...).median` at the same thread
count, interleaved once each per round. Bar (#7): the two agree within ±10 %. sizeup's run-to-run spread is
shown beside the Timer's. Since issue #15, `measure` times batch-1 latency at one thread
(`sizeup.measurement.LATENCY_THREADS`); results recorded before it used torch's thread count for both.
**Under load** (#15): `measure`'s latency with all cores free and with one core kept busy by another process,
at one thread and at all of torch's, interleaved; bar: at sizeup's thread count the busy median stays within
1.25× of the quiet one ([measurement.md](measurement.md)).""",
    "gpu": """\
`python benchmarks/gpu.py`, one prepared script for one CUDA GPU (at most 8 minutes): sizeup's `fit` on the
GPU against a plain PyTorch loop there (data on the GPU, one loss read per epoch) for the MNIST-1D reference
CNN and the small Transformer of the training-loop case; bf16-mixed against fp32 (TF32 matmuls) on a
19 M-parameter Transformer on MNIST-1D, same seed and settings; estimated against measured
(`torch.cuda.max_memory_allocated`) peak training memory for every zoo family and preset, batch 64; and
`sizeup search examples/mnist1d.toml --budget 2m --device cuda`, followed by `compress --method bf16 --method
fp16` of its recommendation. Without a GPU the script measures nothing and its rows say so
([accelerators.md](accelerators.md)).""",
    "estimate_memory": """\
Predicted: `sizeup.estimation.estimate_module(model, (batch,), mode="train")` on the meta device. Measured:
weights + AdamW states + the peak bytes tensors took during one steady-state training step (forward,
backward, optimizer step), from the profiler's allocation events (`sizeup.measure`). Bar (#4): ±15 %.""",
    "test_suite": """\
`python -m pytest -q` in a subprocess, timed as its wall clock (it includes the `--quick` benchmark smoke
test). Bar (#2): the full suite in under 15 minutes on 2 cores.""",
}

CHECKED_BY_TESTS = [
    ("FLOPs agree exactly with `FlopCounterMode`; parameter counts exact", "#2",
     "pytest tests/test_measurement.py tests/zoo/test_zoo_contract.py"),
    ("every recommended model meets every constraint when re-measured (the figures taken after its training; "
     "pre-training figures only reject candidates)", "#3", "pytest tests/selection/test_search_api.py"),
    ("a search killed with SIGKILL and resumed ends with the same completed trials as one run straight through",
     "#3", "pytest tests/selection/test_search_cli.py"),
]


def load(results_dir: Path, name: str) -> dict[str, Any] | None:
    path = results_dir / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def summary_of(case, payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's summary rows, rebuilt from the raw figures by its ``summary_rows`` when it has one (so every
    result file is read by the current code), else the rows stored with the results."""
    module = _module(case.module)
    if module is not None and hasattr(module, "summary_rows"):
        return module.summary_rows(payload)
    rows = payload.get("summary")
    if isinstance(rows, list) and all(isinstance(r, dict) and "figure" in r for r in rows):
        return rows
    return []


def _verdict(met: bool | None, value: str = "") -> str:
    if str(value).startswith("not measured"):
        return "not measured"
    return "information" if met is None else ("met" if met else "**not met**")


def _load_text(m: dict[str, Any]) -> str:
    return ", ".join(f"{x:.2f}" for x in m["load_average"]) if m.get("load_average") else "n/a"


def header(found: list[tuple[Any, dict[str, Any]]], quick: bool) -> list[str]:
    lines = ["# Benchmarks" + (" (quick smoke run: not results)" if quick else ""), "", INTRO, ""]
    if not found:
        return lines + ["No case has results yet: run `python benchmarks/run.py`.", ""]
    placeholders = [c.name for c, p in found if p.get("measured") is False]  # e.g. gpu without a GPU
    found = [(c, p) for c, p in found if p.get("measured") is not False] or found
    newest = max((p["machine"] for _, p in found), key=lambda m: m["date"])
    versions = newest.get("versions") or {"torch": newest["torch"]}
    lines += [f"**Machine** (the newest result): `{newest['device']}`, {newest['cores']} cores, {newest['platform']}; "
              f"Python {newest['python']}; " + ", ".join(f"{k} {v}" for k, v in versions.items() if v) + ".", ""]
    runs = {(p.get("run_id"), p["command"]) for _, p in found}
    if len(runs) == 1 and next(iter(runs))[0]:
        total = sum(p.get("case_seconds", 0) for _, p in found) / 60
        lines += [f"**One run:** every figure below comes from `{next(iter(runs))[1]}`, started "
                  f"{next(iter(runs))[0]}; its cases took {total:.0f} minutes in all (bar, #7: the full suite "
                  f"in under 60 minutes: {'met' if total < 60 else '**not met**'}).", ""]
    else:
        lines += [f"**Not one run yet:** the figures below come from {len(runs)} separate commands (each case's own "
                  "is in its section). `python benchmarks/run.py` reruns them all in one go.", ""]
    devices = {p["machine"]["device"].split(" (")[0] for _, p in found}  # the same CPU with another thread count is one machine
    if len(devices) > 1:
        lines += [f"**{len(devices)} machines:** the cases ran on different machines of the same size (2 cores); "
                  "compare figures within a case, not across cases.", ""]
    lines += ["| case | command | device | started | load average at the start (1, 5, 15 min) | took |",
              "|---|---|---|---|---|---|"]
    for case, p in found:
        took = f"{p['case_seconds'] / 60:.1f} min" if "case_seconds" in p else "—"
        lines.append(f"| {case.name} | `{p['command']}` | {p['machine']['device']} | {p['machine']['date']} | "
                     f"{_load_text(p['machine'])} | {took} |")
    if placeholders:
        lines += ["", f"Measured nothing, for want of the hardware they need: {', '.join(placeholders)} "
                  "(their rows read \"not measured\")."]
    return lines + [""]


def summary_table(found: list[tuple[Any, dict[str, Any]]]) -> list[str]:
    lines = ["## Summary", "", "| figure | value | bar | verdict | issue | case |", "|---|---|---|---|---|---|"]
    for case, payload in found:
        for r in summary_of(case, payload):
            lines.append(f"| {r['figure']} | {r['value']} | {r.get('bar') or '—'} | {_verdict(r.get('met'), r['value'])} | "
                         f"{r.get('issue') or '—'} | [{case.name}](#{case.name.replace('_', '-')}) |")
    lines += ["", "Bars checked by the test suite on every run rather than by a benchmark:", "",
              "| bar | issue | checked by |", "|---|---|---|"]
    lines += [f"| {bar} | {issue} | `{cmd}` |" for bar, issue, cmd in CHECKED_BY_TESTS]
    return lines + [""]


def generic(case, payload: dict[str, Any]) -> str:
    rows = summary_of(case, payload)
    if not rows:
        return f"Raw figures only: `benchmarks/results/{case.name}.json`.\n"
    lines = ["| figure | value | bar | verdict |", "|---|---|---|---|"]
    lines += [f"| {r['figure']} | {r['value']} | {r.get('bar') or '—'} | {_verdict(r.get('met'), r['value'])} |" for r in rows]
    return "\n".join(lines) + "\n"


def section(case, payload: dict[str, Any] | None, quick: bool, doc: Path) -> list[str]:
    lines = [f'<a id="{case.name.replace("_", "-")}"></a>', f"## {case.title}", ""]
    if case.name in CASE_INTROS:
        lines += [CASE_INTROS[case.name], ""]
    cmd = f"python benchmarks/run.py --only {case.name}" + (" --quick" if quick else "")
    if payload is None:
        return lines + [f"Not run yet: `{cmd}`.", ""]
    m = payload["machine"]
    lines += ["```", f"{cmd}    # reruns this case", "```", "",
              f"Measured {m['date']} by `{payload['command']}`, load average {_load_text(m)} at the start"
              + (f"; the case took {payload['case_seconds'] / 60:.1f} min." if "case_seconds" in payload else "."), ""]
    module = _module(case.module)
    lines.append(module.render(payload) if module is not None and hasattr(module, "render") else generic(case, payload))
    if module is not None and hasattr(module, "plot"):
        svg = module.plot(payload, case.title)
        if svg:
            img = doc.parent / "img" / f"{case.name}{'-quick' if quick else ''}.svg"
            img.parent.mkdir(parents=True, exist_ok=True)
            _atomic_write(img, svg)
            rel = os.path.relpath(img, doc.parent)
            lines += ["", f"![{case.title}: best validation accuracy so far against compute]({rel})", "",
                      getattr(module, "PLOT_CAPTION", ""), ""]
    return lines


def write_doc(cases: list, *, quick: bool, results_dir: Path, doc: Path) -> Path:
    suffix = "-quick" if quick else ""
    loaded = [(c, load(results_dir, c.name + suffix)) for c in cases]
    found = [(c, p) for c, p in loaded if p is not None]
    lines = header(found, quick) + summary_table(found)
    rep = None if quick else load(results_dir, "reproduction")
    if rep is not None:
        from _compare import render as render_reproduction

        lines += render_reproduction(rep)
    for case, payload in loaded:
        lines += section(case, payload, quick, doc)
    text = "\n".join(lines).rstrip() + "\n"
    text = text.replace(str(ROOT) + os.sep, "")
    doc.parent.mkdir(parents=True, exist_ok=True)
    _atomic_write(doc, text)
    return doc


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
