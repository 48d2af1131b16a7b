"""Batch-1 latency: ``sizeup.measure`` vs ``torch.utils.benchmark.Timer`` on the same models, sizeup's spread,
and whether the figure survives a busy core (issue #15).

For each model (the MNIST-1D reference CNN and Transformer encoder of ``train_loop.py``, and sizeup's default
CNN for MNIST-1D), in eval mode under ``torch.inference_mode``, one sample of MNIST-1D's test split:

* sizeup: ``sizeup.measure(model, batch).latency_ms``, the median of batch-1 calls after warm-up, at
  ``sizeup.measurement.LATENCY_THREADS`` threads;
* PyTorch: ``torch.utils.benchmark.Timer("model(x)", num_threads=<the same>).blocked_autorange(min_run_time=...)``
  ``.median``, PyTorch's own benchmarking tool (it times blocks of calls and takes the median per call).

The two are interleaved, once each per round. Bars: sizeup's median agrees with the Timer's within ±10 %
(the ratio of the medians over the rounds, per model), and its run-to-run spread (max − min of its medians
over the rounds, divided by their median) is reported beside the Timer's.

**Under load:** for sizeup's default mlp, rnn (GRU) and cnn on MNIST-1D and the reference CNN, ``measure``'s
latency with every core free and with one core kept busy by another process (``python -c "while True: pass"``),
at 1 thread and at all of torch's threads, interleaved. Bar: at sizeup's thread count the busy figure stays
within 1.25× of the quiet one. The quiet 1-thread vs all-threads figures are the reason for that count.

    python benchmarks/latency.py            # 5 rounds (under load: 3)
    python benchmarks/latency.py --quick    # smoke run: 2 rounds (under load: 1, two models), shorter budgets
"""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils import benchmark

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import describe_machine, fmt, machine, parse_args, row, spread, write_results  # noqa: E402
from train_loop import EncoderClassifier, load_mnist1d, reference_cnn  # noqa: E402

import sizeup.zoo as zoo  # noqa: E402
from sizeup.measurement import LATENCY_THREADS, measure  # noqa: E402

AGREE = 0.10  # ±10 %
STEADY = 1.25  # busy / quiet at sizeup's thread count


def models(info) -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {"reference CNN": reference_cnn(), "Transformer encoder": EncoderClassifier(),
            "sizeup default cnn (mnist1d)": zoo.build("cnn", info)}


def timer_ms(model: torch.nn.Module, x: torch.Tensor, min_run_time: float) -> float:
    model.eval()
    with torch.inference_mode():
        t = benchmark.Timer("model(x)", globals={"model": model, "x": x}, num_threads=LATENCY_THREADS)
        return 1e3 * t.blocked_autorange(min_run_time=min_run_time).median


def sizeup_ms(model: torch.nn.Module, batch: torch.Tensor, budget_s: float, threads: int | None = LATENCY_THREADS) -> float:
    return measure(model, (batch,), throughput_batch=len(batch), latency_budget_s=budget_s,
                   latency_threads=threads).latency_ms


@contextlib.contextmanager
def busy_core() -> Iterator[None]:
    """Another process spinning on one core for the block (killed afterwards)."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let it reach its core
        yield
    finally:
        proc.kill()
        proc.wait()


def _label(threads: int, state: str) -> str:
    return f"{threads} thread{'s' if threads > 1 else ''}, {state}"


def under_load(info, batch: torch.Tensor, rounds: int, budget: float, quick: bool) -> dict[str, Any]:
    """Quiet and busy-core latency at 1 thread and at all of torch's threads, interleaved per round."""
    torch.manual_seed(0)
    models = {"mlp (mnist1d default)": zoo.build("mlp", info), "rnn (mnist1d default, GRU)": zoo.build("rnn", info),
              "cnn (mnist1d default)": zoo.build("cnn", info), "reference CNN": reference_cnn()}
    if quick:
        models = dict(list(models.items())[:2])
    threads = sorted({1, torch.get_num_threads()})
    out: dict[str, Any] = {}
    for name, model in models.items():
        runs: dict[str, list[float]] = {_label(n, state): [] for n in threads for state in ("quiet", "busy")}
        for _ in range(rounds):
            for n in threads:
                gc.collect()
                runs[_label(n, "quiet")].append(sizeup_ms(model, batch, budget, n))
                with busy_core():
                    runs[_label(n, "busy")].append(sizeup_ms(model, batch, budget, n))
        med = {k: spread(v)["median"] for k, v in runs.items()}
        out[name] = {"ms": runs, "busy_over_quiet": {str(n): med[_label(n, "busy")] / med[_label(n, "quiet")]
                                                     for n in threads}}
        print(f"  under load, {name:<28} " + ", ".join(f"{k} {fmt(v, 3)} ms" for k, v in runs.items()), flush=True)
    return {"threads": threads, "models": out, "rounds": rounds, "budget_s": budget}


def _load_rows(load: dict[str, Any]) -> list[dict[str, Any]]:
    out, most = [], str(max(load["threads"]))
    for name, r in load["models"].items():
        ratio = r["busy_over_quiet"][str(LATENCY_THREADS)]
        other = f"; at {most} threads {r['busy_over_quiet'][most]:.2f}×" if most != str(LATENCY_THREADS) else ""
        out.append(row(f"latency with one core busy / quiet, {name}, at sizeup's {LATENCY_THREADS} thread(s)",
                       f"{ratio:.2f}×{other}", bar=f"≤ {STEADY}×", met=ratio <= STEADY, issue="#15"))
    return out


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, r in payload["models"].items():
        ratio = r["ratio_of_medians"]
        out.append(row(f"latency, {name}: sizeup.measure / torch.utils.benchmark.Timer (batch 1)",
                       f"{ratio:.3f} ({spread(r['sizeup_ms'])['median']:.3f} vs {spread(r['timer_ms'])['median']:.3f} ms)",
                       bar=f"within ±{AGREE:.0%}", met=abs(ratio - 1) <= AGREE, issue="#7", ratio=ratio))
        out.append(row(f"latency, {name}: sizeup's run-to-run spread, (max − min) / median of {len(r['sizeup_ms'])}",
                       f"{100 * r['sizeup_spread']:.1f} % (Timer: {100 * r['timer_spread']:.1f} %)"))
    return out + (_load_rows(payload["under_load"]) if "under_load" in payload else [])


def _rel_spread(values: list[float]) -> float:
    s = spread(values)
    return (s["max"] - s["min"]) / s["median"]


def run(quick: bool = False, *, repeats: int | None = None) -> dict[str, Any]:
    repeats = repeats or (2 if quick else 5)
    budget = 0.3 if quick else 1.0
    data = load_mnist1d()
    batch = data.test.x[:32]
    print(f"machine: {describe_machine(machine())}")
    print(f"{repeats} rounds; sizeup latency budget {budget} s, Timer min_run_time {budget} s"
          f"{' (QUICK smoke run, not a recorded result)' if quick else ''}")
    results: dict[str, Any] = {}
    for name, model in models(data.info).items():
        timer_ms(model, batch[:1], 0.1)  # warm-up
        ours, theirs = [], []
        for _ in range(repeats):
            gc.collect()
            ours.append(sizeup_ms(model, batch, budget))
            theirs.append(timer_ms(model, batch[:1], budget))
        ratio = spread(ours)["median"] / spread(theirs)["median"]
        results[name] = {"params": sum(p.numel() for p in model.parameters()), "sizeup_ms": ours, "timer_ms": theirs,
                         "ratio_of_medians": ratio, "paired": [a / b for a, b in zip(ours, theirs)],
                         "sizeup_spread": _rel_spread(ours), "timer_spread": _rel_spread(theirs)}
        print(f"  {name:<30} sizeup {fmt(ours, 3)} ms, Timer {fmt(theirs, 3)} ms, ratio {ratio:.3f} "
              f"({'within' if abs(ratio - 1) <= AGREE else 'OUTSIDE'} ±10 %)", flush=True)
    payload = {"settings": {"repeats": repeats, "budget_s": budget, "quick": quick, "latency_threads": LATENCY_THREADS,
                            "torch_threads": torch.get_num_threads()}, "models": results,
               "under_load": under_load(data.info, batch, 1 if quick else 3, min(budget, 0.5), quick)}
    payload["summary"] = summary_rows(payload)
    return payload


def render(payload: dict[str, Any]) -> str:
    s = payload["settings"]
    lines = [f"| model | params | sizeup `measure`, ms | `Timer.blocked_autorange`, ms | ratio of medians | "
             f"per round | sizeup spread | Timer spread | ±10 % |", "|---|---|---|---|---|---|---|---|---|"]
    for name, r in payload["models"].items():
        ok = abs(r["ratio_of_medians"] - 1) <= AGREE
        lines.append(f"| {name} | {r['params']:,} | {fmt(r['sizeup_ms'], 3)} | {fmt(r['timer_ms'], 3)} | "
                     f"{r['ratio_of_medians']:.3f} | {fmt(r['paired'], 3)} | {100 * r['sizeup_spread']:.1f} % | "
                     f"{100 * r['timer_spread']:.1f} % | {'**met**' if ok else '**not met**'} |")
    lines += ["", f"Medians (min–max) of {s['repeats']} interleaved rounds; each sizeup figure is itself the median "
              f"of at least 20 timed calls in {s['budget_s']:g} s, each Timer figure the median per call over blocks "
              f"run for at least {s['budget_s']:g} s; both at {s.get('latency_threads', s['torch_threads'])} thread(s) "
              f"(torch has {s['torch_threads']}). Spread = (max − min) / median over the rounds."]
    if "under_load" in payload:
        load = payload["under_load"]
        cols = list(next(iter(load["models"].values()))["ms"])
        lines += ["", f"**Under load** (median (min–max) ms of {load['rounds']} interleaved rounds; busy = another "
                  "process spinning on one core):", "", "| model | " + " | ".join(cols) + " |",
                  "|---|" + "---|" * len(cols)]
        for name, r in load["models"].items():
            lines.append(f"| {name} | " + " | ".join(fmt(r["ms"][c], 3) for c in cols) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=5, quick_repeats=2)
    started = machine()
    path = write_results("latency-quick" if args.quick else "latency", run(args.quick, repeats=args.repeats),
                         started=started)
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
