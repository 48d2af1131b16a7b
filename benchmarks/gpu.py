"""Accelerators: sizeup on one CUDA GPU, side by side with what a user would otherwise run there (issue #17).

One prepared script for a short GPU loan (at most 8 minutes on one GPU; ``--deadline`` seconds, 450 by
default, after which the remaining sections are skipped and say so). Sections, each kept if a later one fails:

1. **loops**: steps/s of sizeup's ``fit`` (``device="cuda"``, ``precision="32"``, per-epoch validation and
   best-weights copy included) against a plain PyTorch loop on the same GPU (data on the GPU, ``randperm``
   per epoch on the GPU, ``torch.optim.Adam``, one loss read per epoch), for the MNIST-1D reference CNN and the
   small Transformer of ``train_loop.py``; interleaved repeats. Bar: ≥ 0.95× for both.
2. **bf16**: sizeup's ``transformer`` (width 512, depth 6, 8 heads: 19 M parameters) on MNIST-1D, trained with
   ``precision="32"`` (TF32 matmuls) and ``"bf16-mixed"``, same seed and settings: steps/s and test accuracy.
   Bars: ≥ 1.5× the steps/s, accuracy within 0.5 point.
3. **search**: ``sizeup search examples/mnist1d.toml --budget 2m --device cuda`` as a subprocess, then
   ``sizeup compress <run> --method bf16 --method fp16 --device cuda`` on its recommendation. Bar: ≥ 98 % test.
4. **memory**: for every zoo family and preset on mnist1d, digits and zh-news, ``estimate_module(...,
   mode="train")`` (meta device; the CUDA context overhead left out) against weights + AdamW states + the peak
   that ``torch.cuda.max_memory_allocated`` sees during one steady-state training step, batch 64. Bar: ±15 %.
   For each family's default size, the estimated step time on the measured ``cuda`` hardware entry beside the
   measured one (information).
5. **latency**: ``sizeup.measure``'s batch-1 latency (CUDA events) against ``torch.utils.benchmark.Timer`` on the
   GPU, and the ``cuda`` hardware entry's measured TFLOP/s and bandwidth (information).

Without a CUDA GPU it measures nothing, says so and exits 0; its rows read "not measured".

    python benchmarks/gpu.py              # on a machine with a CUDA GPU
    python benchmarks/gpu.py --quick      # smoke run: one repeat, tiny budgets (not a recorded result)
    python benchmarks/gpu.py --quick --dry-run-on-cpu   # every section's code path on the CPU; writes nothing
    python benchmarks/run.py --only gpu   # the same through the suite's runner
"""

from __future__ import annotations

import gc
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, describe_machine, fmt, machine, parse_args, row, spread, timed, write_results  # noqa: E402
from train_loop import BATCH, MODELS, load_mnist1d, sizeup_config  # noqa: E402

import sizeup  # noqa: E402
from sizeup._device import synchronize  # noqa: E402
from sizeup.training import TrainConfig, fit  # noqa: E402

DEADLINE_S = 450
BARS = {"loop": 0.95, "bf16_speed": 1.5, "bf16_points": 0.5, "memory": 0.15, "search": 0.98}
BIG = {"width": 512, "depth": 6, "heads": 8, "dropout": 0.1}
NOT_MEASURED = "not measured: no GPU lent"
SECTIONS = ("loops", "bf16", "search", "memory", "latency")


# ----------------------------------------------------------------------------- 1. loops

def plain_gpu_train(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float) -> int:
    """The loop a user writes for a GPU: data already there, one loss read per epoch (a read per step would
    make the host wait for the GPU at every step)."""
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    done, model = 0, model.train()
    while done < steps:
        perm, total = torch.randperm(len(x), device=x.device), torch.zeros((), device=x.device)
        for i in range(0, len(x), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            total += loss.detach()
            done += 1
            if done == steps:
                break
        float(total)
    synchronize(x.device)
    return done


def _loops(data, quick: bool, repeats: int, dev: torch.device) -> dict[str, Any]:
    x, y = data.train.x.to(dev), data.train.y.to(dev)
    per_epoch = math.ceil(len(data.train) / BATCH)
    out = {}
    for name, spec in MODELS.items():
        epochs = max(2, math.ceil((spec.quick_steps if quick else spec.steps) / per_epoch))
        steps = epochs * per_epoch
        cfg = sizeup_config(epochs, spec.lr).with_overrides(device=str(dev), precision="32")

        def ours() -> float:
            torch.manual_seed(0)
            model = spec.torch_model()
            seconds, result = timed(lambda: (fit(model, data, cfg), synchronize(dev))[0])
            assert result.steps == steps, (result.steps, steps)
            return steps / seconds

        def theirs() -> float:
            torch.manual_seed(0)
            model = spec.torch_model().to(dev)
            seconds, done = timed(lambda: plain_gpu_train(model, x, y, steps, spec.lr))
            return done / seconds

        ours(), theirs()  # warm-up: CUDA context, cuDNN/cuBLAS handles, kernel caches
        rates: dict[str, list[float]] = {"sizeup": [], "plain": []}
        for _ in range(repeats):
            gc.collect()
            rates["sizeup"].append(ours())
            rates["plain"].append(theirs())
        ratio = spread(rates["sizeup"])["median"] / spread(rates["plain"])["median"]
        out[name] = {"steps": steps, "epochs": epochs, "params": spec.params, "steps_per_s": rates, "ratio": ratio,
                     "paired": [a / b for a, b in zip(rates["sizeup"], rates["plain"])]}
        print(f"  loop {name}: sizeup {fmt(rates['sizeup'], 0)} steps/s, plain {fmt(rates['plain'], 0)}, "
              f"ratio {ratio:.2f}", flush=True)
    return out


# ----------------------------------------------------------------------------- 2. bf16-mixed vs fp32

def _bf16(data, quick: bool, seeds: int, dev: torch.device) -> dict[str, Any]:
    from sizeup.measurement import count_params
    from sizeup.training import Objective, evaluate
    from sizeup.zoo import build

    runs: dict[str, list[dict[str, float]]] = {"32": [], "bf16-mixed": []}
    for seed in range(seeds):
        for precision in runs:
            torch.manual_seed(seed)
            model = build("transformer", data.info, **(BIG if dev.type == "cuda" else {**BIG, "width": 64, "depth": 1}))
            cfg = TrainConfig(epochs=2 if quick else 30, batch_size=512, lr=1e-3, schedule="onecycle",
                              patience=None, seed=seed, device=str(dev), precision=precision)
            result = fit(model, data, cfg)
            test = evaluate(model, data.test, Objective(data.info.task), n_classes=data.info.n_outputs)
            runs[precision].append({"seed": seed, "steps_per_s": result.steps / result.train_seconds,
                                    "test_accuracy": test["accuracy"], "train_seconds": result.train_seconds,
                                    "precision_used": result.extra.get("precision")})
            print(f"  bf16 section: {precision} seed {seed}: {runs[precision][-1]['steps_per_s']:.1f} steps/s, "
                  f"test {100 * test['accuracy']:.1f} %", flush=True)
    med = {p: {k: statistics.median(r[k] for r in rs) for k in ("steps_per_s", "test_accuracy")} for p, rs in runs.items()}
    return {"params": count_params(model), "config": BIG, "batch": 512, "runs": runs,
            "speedup": med["bf16-mixed"]["steps_per_s"] / med["32"]["steps_per_s"],
            "points": 100 * (med["bf16-mixed"]["test_accuracy"] - med["32"]["test_accuracy"])}


# ----------------------------------------------------------------------------- 3. search, then compress

def _cli(*args: str, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, "-c", "from sizeup.cli import main; main()", *args, "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout)


def _search(quick: bool, dev: torch.device) -> dict[str, Any]:
    budget = "20s" if quick else "2m"
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "mnist1d"
        t0 = time.perf_counter()
        found = _cli("search", "examples/mnist1d.toml", "--budget", budget, "--device", dev.type, "--out", str(run_dir),
                     timeout=400)
        seconds = time.perf_counter() - t0
        rec = found["recommended"]
        out = {"budget": budget, "wall_seconds": seconds, "recommended": rec.get("model"),
               "test_accuracy": rec.get("test_accuracy"), "feasible": rec.get("feasible"),
               "trials": len(found["leaderboard"]), "device": rec.get("device"),
               "completed": sum(r["status"] == "completed" for r in found["leaderboard"])}
        print(f"  search: {out['recommended']} test {out['test_accuracy']}, {out['trials']} trials", flush=True)
        try:
            comp = _cli("compress", str(run_dir), "--method", "bf16", "--method", "fp16", "--device", dev.type,
                        timeout=120)
            out["compress"] = {r["method"]: {"speedup": r["speedup"], "quality_change": r["quality_change"],
                                             "size_ratio": r["size_ratio"]} for r in comp["results"]}
        except Exception as exc:  # noqa: BLE001 - the search figure stands without it
            out["compress_error"] = str(exc)[-500:]
    return out


# ----------------------------------------------------------------------------- 4. memory

def _train_step(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[Callable[[], None], Any]:
    opt = torch.optim.AdamW(model.parameters(), fused=True)  # what sizeup's training loop uses

    def step() -> None:
        F.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    return step, opt


def measured_cuda_train_bytes(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[int, float]:
    """Weights + AdamW states + what one steady-state step allocates beyond them (max_memory_allocated,
    reset for the step); and the step's median seconds (CUDA events)."""
    from sizeup.measurement import peak_memory_bytes, time_call

    model.train()
    step, opt = _train_step(model, x, y)
    step()  # the optimizer states exist before the measured step, as in every step after the first
    if hasattr(model, "clear_feature_cache"):
        model.clear_feature_cache()
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    states = sum(t.numel() * t.element_size() for s in opt.state.values() for t in s.values() if torch.is_tensor(t))
    peak = peak_memory_bytes(step, device=x.device) or 0
    seconds = statistics.median(time_call(step, warmup=1, min_repeats=5, budget_s=0.2, device=x.device))
    return weights + states + peak, seconds


def _memory(deadline: float, quick: bool, dev: torch.device) -> dict[str, Any]:
    from sizeup.estimation import estimate_module
    from sizeup.zoo import build, get_family, list_families

    rows, skipped = [], []
    for source in (["digits"] if quick else ["mnist1d", "digits", "zh-news"]):
        try:
            data = sizeup.load_data(sizeup.Task.from_dict({"name": source, "data": {"source": source}}))
        except Exception as exc:  # noqa: BLE001 - e.g. the text extra missing: say so, measure the rest
            skipped.append(f"{source}: {str(exc)[:120]}")
            continue
        x, y = data.train.x[:64], data.train.y[:64]
        for family in list_families(data.info.input_kind):
            for preset in [None, *get_family(family).presets]:
                if time.monotonic() > deadline:
                    skipped.append(f"{source} {family} {preset or 'default'}: out of time")
                    continue
                try:
                    torch.manual_seed(0)
                    model = build(family, data.info, preset=preset)
                    est = estimate_module(model, (x,), mode="train")
                    predicted = est.memory.total - est.memory.overhead
                    measured, seconds = measured_cuda_train_bytes(model.to(dev), x.to(dev), y.to(dev))
                    r = {"data": source, "family": family, "preset": preset or "default", "predicted": predicted,
                         "measured": measured, "error": predicted / measured - 1, "step_s": seconds}
                    if preset is None:
                        r["estimated_step_s"] = estimate_module(model.cpu(), (x,), mode="train",
                                                                hardware=dev.type).timing.step_s
                    rows.append(r)
                    print(f"  memory {source:8s} {family:12s} {r['preset']:8s} predicted {predicted / 2**20:8.2f} MB "
                          f"measured {measured / 2**20:8.2f} MB error {100 * r['error']:+6.1f} %", flush=True)
                except Exception as exc:  # noqa: BLE001 - one model's failure is a row, not the end of the case
                    skipped.append(f"{source} {family} {preset or 'default'}: {type(exc).__name__}: {str(exc)[:120]}")
                finally:
                    model = None
                    if dev.type == "cuda":
                        torch.cuda.empty_cache()
    return {"batch": 64, "rows": rows, "skipped": skipped}


# ----------------------------------------------------------------------------- 5. latency and the measured entry

def _latency(data, dev: torch.device) -> dict[str, Any]:
    from torch.utils import benchmark

    from sizeup.estimation import get_hardware
    from sizeup.measurement import measure

    out: dict[str, Any] = {}
    for name, spec in MODELS.items():
        torch.manual_seed(0)
        model = spec.torch_model().to(dev).eval()
        m = measure(model, (data.test.x[:256],), latency_budget_s=1.0)
        with torch.inference_mode():
            x = data.test.x[:1].to(dev)
            timer = benchmark.Timer("model(x)", globals={"model": model, "x": x}).blocked_autorange(min_run_time=1.0)
        out[name] = {"sizeup_ms": m.latency_ms, "timer_ms": 1e3 * timer.median, "ratio": m.latency_ms / (1e3 * timer.median),
                     "throughput": m.throughput, "throughput_batch": m.throughput_batch, "memory_mb": m.memory_mb,
                     "notes": m.notes}
    hw = get_hardware(dev.type)
    out["hardware"] = {"description": hw.description, "tflops": hw.tflops, "bandwidth_gbs": hw.bandwidth_gbs,
                       "memory_gib": hw.memory_bytes / 2**30}
    return out


# ----------------------------------------------------------------------------- the case

def run(quick: bool = False, *, repeats: int | None = None, deadline_s: float | None = None,
        device: str = "cuda") -> dict[str, Any]:
    """``device="cpu"`` runs every section's code on the CPU (a dry run of the script, not GPU figures)."""
    print(describe_machine(machine()))
    if device == "cuda" and not torch.cuda.is_available():
        print(f"no CUDA GPU is visible here (torch {torch.__version__}): nothing measured; every GPU row reads "
              f"'{NOT_MEASURED}'")
        payload: dict[str, Any] = {"gpu": None, "measured": False, "sections": {}, "errors": {}}
        payload["summary"] = summary_rows(payload)
        return payload
    from sizeup.measurement import device_name

    start, dev = time.monotonic(), torch.device(device)
    deadline = start + (deadline_s or DEADLINE_S)
    data = load_mnist1d()
    repeats = repeats or (1 if quick else 3)
    plan = {"loops": lambda: _loops(data, quick, repeats, dev), "bf16": lambda: _bf16(data, quick, 1 if quick else 2, dev),
            "search": lambda: _search(quick, dev), "memory": lambda: _memory(deadline - 60, quick, dev),
            "latency": lambda: _latency(data, dev)}
    need = {"loops": 20, "bf16": 40, "search": 170, "memory": 30, "latency": 10}  # seconds a section needs at least
    sections, errors = {}, {}
    for name in SECTIONS:
        left = deadline - time.monotonic()
        if left < need[name]:
            errors[name] = f"skipped: {left:.0f} s left of the {deadline_s or DEADLINE_S:.0f} s deadline"
            continue
        print(f"\n[{name}] ({left:.0f} s left)", flush=True)
        try:
            sections[name] = plan[name]()
        except Exception as exc:  # noqa: BLE001 - one section's failure must not lose the others
            errors[name] = f"{type(exc).__name__}: {str(exc)[-800:]}"
            print(f"  {name} FAILED: {errors[name]}", flush=True)
    payload = {"gpu": device_name(dev), "quick": quick, "seconds": time.monotonic() - start,
               "sections": sections, "errors": errors}
    payload["summary"] = summary_rows(payload)
    return payload


def _absent(figure: str, bar: str, payload: dict[str, Any], section: str) -> dict[str, Any]:
    why = NOT_MEASURED if payload.get("gpu") is None else f"not measured: {payload['errors'].get(section, 'no result')}"
    return row(figure, why, bar=bar, met=None, issue="#17")


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    s, out = payload.get("sections", {}), []
    for name, label in (("cnn", "MNIST-1D reference CNN"), ("transformer", "small Transformer")):
        figure = f"GPU, {label}: sizeup's loop / a plain PyTorch loop, steps/s (ratio of medians)"
        r = s.get("loops", {}).get(name)
        out.append(_absent(figure, f"≥ {BARS['loop']}×", payload, "loops") if r is None else
                   row(figure, f"{r['ratio']:.2f}× (per round {fmt(r['paired'], 2)})", bar=f"≥ {BARS['loop']}×",
                       met=r["ratio"] >= BARS["loop"], issue="#17", ratio=r["ratio"]))
    b = s.get("bf16")
    figure = "GPU, Transformer (19 M parameters): bf16-mixed / fp32 steps/s, and test accuracy change"
    bar = f"≥ {BARS['bf16_speed']}×, within {BARS['bf16_points']} point"
    out.append(_absent(figure, bar, payload, "bf16") if b is None else
               row(figure, f"{b['speedup']:.2f}×, {b['points']:+.2f} points", bar=bar, issue="#17", ratio=b["speedup"],
                   met=b["speedup"] >= BARS["bf16_speed"] and abs(b["points"]) <= BARS["bf16_points"]))
    m = s.get("memory")
    figure = "GPU: estimated vs measured (torch.cuda.max_memory_allocated) peak training memory, zoo families and presets within ±15 %"
    if m is None or not m["rows"]:
        out.append(_absent(figure, "every one within ±15 %", payload, "memory"))
    else:
        inside = sum(abs(r["error"]) <= BARS["memory"] for r in m["rows"])
        out.append(row(figure, f"{inside} of {len(m['rows'])}" + (f" ({len(m['skipped'])} not measured)" if m["skipped"] else ""),
                       bar="every one within ±15 %", met=inside == len(m["rows"]) and not m["skipped"], issue="#17"))
    r = s.get("search")
    figure = "GPU: `sizeup search examples/mnist1d.toml --budget 2m --device cuda`, recommended model's test accuracy"
    out.append(_absent(figure, "≥ 98%", payload, "search") if r is None or r.get("test_accuracy") is None else
               row(figure, f"{100 * r['test_accuracy']:.1f} % ({r['recommended']})", bar="≥ 98%",
                   met=r["test_accuracy"] >= BARS["search"], issue="#17"))
    for method, c in (r or {}).get("compress", {}).items():
        out.append(row(f"GPU: compress --method {method} of that model, batch-1 latency speedup and quality change",
                       f"{c['speedup']:.2f}×, {c['quality_change']:+.2f} points"))
    lat = s.get("latency")
    if lat:
        for name in MODELS:
            out.append(row(f"GPU, {name}: sizeup.measure / torch.utils.benchmark.Timer, batch-1 latency",
                           f"{lat[name]['ratio']:.3f} ({lat[name]['sizeup_ms']:.3f} vs {lat[name]['timer_ms']:.3f} ms)"))
        hw = lat["hardware"]
        out.append(row("GPU: the `cuda` hardware entry as measured (dense matmul TFLOP/s; copy bandwidth)",
                       ", ".join(f"{k} {v:.1f}" for k, v in hw["tflops"].items()) + f"; {hw['bandwidth_gbs']:,.0f} GB/s"))
    return out


def render(payload: dict[str, Any]) -> str:
    if payload.get("gpu") is None:
        return (f"This case last ran on a machine without a CUDA GPU, so every row above reads \"{NOT_MEASURED}\". "
                "`python benchmarks/gpu.py` on a machine with a CUDA GPU measures them (at most 8 minutes).\n")
    s = payload["sections"]
    lines = [f"GPU: `{payload['gpu']}`; the case took {payload['seconds'] / 60:.1f} min.", ""]
    if "memory" in s:
        lines += ["| data | family | preset | estimated MB | measured MB | error | step s, estimated / measured |",
                  "|---|---|---|---|---|---|---|"]
        for r in s["memory"]["rows"]:
            step = (f"{r['estimated_step_s']:.2e} / {r['step_s']:.2e}" if "estimated_step_s" in r else "")
            lines.append(f"| {r['data']} | {r['family']} | {r['preset']} | {r['predicted'] / 2**20:.2f} | "
                         f"{r['measured'] / 2**20:.2f} | {100 * r['error']:+.1f} % | {step} |")
        lines += [""] + [f"- not measured: {x}" for x in s["memory"]["skipped"]] + [""]
    for name, why in payload.get("errors", {}).items():
        lines.append(f"- section {name}: {why}")
    return "\n".join(lines) + "\n"


def main() -> None:
    flag = "--dry-run-on-cpu"
    args = parse_args(__doc__.splitlines()[0], repeats=3, quick_repeats=1,
                      flags={flag: "run every section on the CPU to check the script (not GPU figures); writes nothing"})
    started = machine()
    if args.dry_run_on_cpu:
        payload = run(args.quick, repeats=args.repeats, device="cpu", deadline_s=1800)
        print(json.dumps(payload["summary"], indent=1, ensure_ascii=False)[:4000])
        print("errors:", payload["errors"] or "none")
        return
    payload = run(args.quick, repeats=args.repeats)
    path = write_results("gpu-quick" if args.quick else "gpu", payload, started=started)
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
