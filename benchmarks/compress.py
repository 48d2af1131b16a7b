"""The compression bars on mnist1d, each before/after pair measured side by side in one run:

- dynamic int8 (ONNX Runtime) of an LSTM (``rnn`` preset base, cell=lstm) and of a Transformer encoder
  (preset base): >= 1.5x batch-1 latency, <= 1 point accuracy loss, >= 3.5x smaller weights;
- structured pruning of 50 % of the channels of a CNN (preset base) with a short fine-tune: >= 1.5x, <= 1.5 points;
- distillation of that CNN into a student with <= 1/4 of its parameters keeping >= 97 % of its accuracy.

"base" presets, not the defaults: a batch-1 call of a tiny mnist1d model is dominated by per-call overhead.
Torch and ONNX Runtime both run on ONE thread (``torch.set_num_threads(1)``, ``intra_op_num_threads=1``):
fair, and steadier on a machine shared with other work.

    python benchmarks/compress.py           # the recorded run (about 12 minutes on 2 cores)
    python benchmarks/compress.py --quick   # smoke run: short training, not a recorded result
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import torch

from _common import ROOT, describe_machine, machine, parse_args, row, verdict, write_results

TASK = ROOT / "examples" / "mnist1d.toml"
# The default peak lr (3e-3 for attention) leaves the base Transformer at 41 % test accuracy on MNIST-1D after
# 120 s; 1e-3 reaches 50 % (2026-12-01, one thread: `sizeup train examples/mnist1d.toml --family transformer
# --preset base --train-set max_seconds=120 [--lr 1e-3]`), so the int8 quality cost is measured on a model that learned.
TRANSFORMER_LR = 1e-3


def _train(family: str, preset: str, seconds: float, out: Path, *, knobs: dict[str, Any] | None = None,
           **settings: Any) -> Path:
    import sizeup

    sizeup.train(TASK, family, preset=preset, knobs=knobs, max_seconds=seconds, out=out, force=True, **settings)
    return out


def _case(result, bars: dict[str, float]) -> dict[str, Any]:
    r = result.to_dict()
    checks = {"speedup": result.speedup >= bars.get("speedup", 0),
              "quality_loss_points": -result.quality_change <= bars.get("loss", 1e9),
              "size_ratio": result.size_ratio >= bars.get("size", 0)}
    r["bars"], r["pass"] = bars, all(checks.values())
    r["checks"] = checks
    return r


def run(quick: bool) -> dict[str, Any]:
    """Train the candidates, compress them, return the figures and a pass/fail per bar."""
    from sizeup.compression import compress

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    seconds = 8.0 if quick else 120.0
    budget = 0.5 if quick else 2.0
    out: dict[str, Any] = {"threads": 1, "train_seconds_each": seconds}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            lstm = _train("rnn", "base", seconds, tmp / "lstm", knobs={"cell": "lstm"})
            out["int8_lstm"] = _case(compress(lstm, "int8", latency_budget_s=budget), {"speedup": 1.5, "loss": 1.0, "size": 3.5})
            tf = _train("transformer", "base", seconds, tmp / "transformer", lr=TRANSFORMER_LR)
            out["int8_transformer"] = _case(compress(tf, "int8", latency_budget_s=budget), {"speedup": 1.5, "loss": 1.0, "size": 3.5})
            cnn = _train("cnn", "base", seconds, tmp / "cnn")
            epochs = 1 if quick else 5
            out["prune_cnn"] = _case(compress(cnn, f"prune:0.5,epochs={epochs}", latency_budget_s=budget), {"speedup": 1.5, "loss": 1.5})
            d = compress(cnn, f"distill:time={seconds:g}", latency_budget_s=budget)
            case = _case(d, {})
            kept = d.after.quality / d.before.quality
            case["params_fraction"], case["quality_kept"] = d.after.params / d.before.params, kept
            case["pass"] = case["params_fraction"] <= 0.25 and kept >= 0.97
            out["distill_cnn"] = case
    finally:
        torch.set_num_threads(threads)
    out["summary"] = summary_rows(out)
    return out


LABELS = {"int8_lstm": "dynamic int8 of an LSTM (rnn base, cell=lstm)",
          "int8_transformer": "dynamic int8 of a Transformer encoder (transformer base)",
          "prune_cnn": "structured pruning of 50 % of a CNN's channels (cnn base), 5-epoch fine-tune",
          "distill_cnn": "distillation of that CNN into a student with ≤ 1/4 of its parameters"}


def _cases(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    results = payload.get("results", payload)
    return {k: v for k, v in results.items() if k in LABELS and isinstance(v, dict)}


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, r in _cases(payload).items():
        if name == "distill_cnn":
            rows.append(row(f"MNIST-1D, {LABELS[name]}: params fraction, quality kept",
                            f"{r['params_fraction']:.3f}, {100 * r['quality_kept']:.1f} %",
                            bar="≤ 0.25, ≥ 97 %", met=r["pass"], issue="#5", ratio=r["params_fraction"]))
            continue
        b = r["bars"]
        bar = f"≥ {b['speedup']}×, ≤ {b['loss']:g} point loss" + (f", ≥ {b['size']}× smaller" if "size" in b else "")
        rows.append(row(f"MNIST-1D, {LABELS[name]}: batch-1 CPU latency speedup, quality change, size",
                        f"{r['speedup']:.2f}×, {r['quality_change']:+.2f} points, {r['size_ratio']:.2f}× smaller",
                        bar=bar, met=r["pass"], issue="#5", ratio=r["speedup"]))
    return rows


def render(payload: dict[str, Any]) -> str:
    lines = ["Each model is trained for 120 s on MNIST-1D (`sizeup.train`), then `sizeup.compress(run, method)` "
             "re-measures the original and the compressed model with `sizeup.measure` (batch-1 latency: median of "
             "≥ 20 calls after warm-up, min–max in brackets), torch and ONNX Runtime each on one thread. For "
             "quantized models the float ONNX export is measured too, so the speedup splits into what the runtime "
             "gives and what int8 gives on top.", ""]
    for name, r in _cases(payload).items():
        lines += [f"**{LABELS[name]}** (`{r['method']}`): {'met' if r['pass'] else '**not met**'}", "",
                  "| row | model | runtime | test accuracy | params | size MB | batch-1 latency ms | throughput /s |",
                  "|---|---|---|---|---|---|---|---|"]
        for x in r["rows"]:
            lines.append(f"| {x['name']} | {x['model']} | {x['runtime']} | {100 * x['quality']:.1f} % | {x['params']:,} | "
                         f"{x['size_mb']:.3f} | {x['latency_ms']:.3f} ({x['latency_min_ms']:.3f}–{x['latency_max_ms']:.3f}) | "
                         f"{x['throughput']:,.0f} |")
        lines += ["", *[f"- {v}" for v in r["verdicts"]], ""]
    return "\n".join(lines) + "\n"


def _print(results: dict[str, Any]) -> None:
    for name, r in results.items():
        if not isinstance(r, dict):
            continue
        rows = {row["name"]: row for row in r["rows"]}
        print(f"\n{name}: {r['method']} ({verdict(r['pass'])})")
        for row in rows.values():
            print(f"  {row['name']:<28} {row['model']:<40} {row['runtime']:<11} acc {row['quality']:.4f}  "
                  f"params {row['params']:>9,}  {row['size_mb']:7.3f} MB  {row['latency_ms']:8.3f} ms "
                  f"({row['latency_min_ms']:.3f}-{row['latency_max_ms']:.3f})")
        print(f"  speedup {r['speedup']:.2f}x, size {r['size_ratio']:.2f}x smaller, accuracy {r['quality_change']:+.2f} points")
        if "quality_kept" in r:
            print(f"  student params {r['params_fraction']:.3f} of the teacher's, keeps {r['quality_kept']:.1%} of its accuracy")
        for line in r["verdicts"][1:]:
            print(f"  - {line}")


def main() -> None:
    args = parse_args("sizeup compress against the issue's bars", repeats=1, quick_repeats=1)
    m = machine()
    print(describe_machine(m))
    results = run(args.quick)
    _print(results)
    write_results("compress-quick" if args.quick else "compress", {"quick": args.quick, "results": results})


if __name__ == "__main__":
    main()
