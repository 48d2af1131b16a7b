"""Predicted vs measured peak training memory of every zoo family on the bundled data (issue #4's ±15 % bar).

Predicted: ``sizeup.estimation.estimate_module(model, (batch,), mode="train")`` on the meta device.
Measured: weights + AdamW states + the peak bytes tensors took during one steady-state training step
(forward, backward, optimizer step), from the profiler's allocation events (``sizeup.measure``).

    python benchmarks/estimate_memory.py            # batch 64, every family that fits each data set
"""

from __future__ import annotations

import os
import sys
from typing import Any

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import describe_machine, machine, parse_args, row, write_results  # noqa: E402

import sizeup  # noqa: E402
import sizeup.zoo as zoo  # noqa: E402
from sizeup.estimation import estimate_module  # noqa: E402
from sizeup.measurement import peak_memory_bytes  # noqa: E402

BATCH = 64
# Beyond each family's default: presets whose memory differs in kind (a fine-tuned encoder trains everything).
EXTRA = {"zh-news": [("pretrained", "finetune")]}
BAR = 0.15


def measured_train_bytes(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    model.train()  # as the training loop does: a pretrained encoder is loaded in eval mode (no dropout)
    opt = torch.optim.AdamW(model.parameters(), fused=True)  # what sizeup's training loop uses

    def step() -> None:
        F.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # the optimizer states exist before the measured step, as in every step after the first
    if hasattr(model, "clear_feature_cache"):  # a frozen encoder's peak is its first pass, before features are cached
        model.clear_feature_cache()
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    states = sum(t.numel() * t.element_size() for s in opt.state.values() for t in s.values() if torch.is_tensor(t))
    return weights + states + (peak_memory_bytes(step) or 0)


def run(quick: bool = False) -> dict[str, Any]:
    print(describe_machine(machine()))
    rows = []
    for source in (["digits"] if quick else ["mnist1d", "digits", "zh-news"]):
        data = sizeup.load_data(sizeup.Task.from_dict({"name": source, "data": {"source": source}}))
        for family, preset in [(f, None) for f in zoo.list_families(data.info.input_kind)] + EXTRA.get(source, []):
            torch.manual_seed(0)
            model = zoo.build(family, data.info, preset=preset)
            family = family if preset is None else f"{family} ({preset})"
            x, y = data.train.x[:BATCH], data.train.y[:BATCH]
            predicted = estimate_module(model, (x,), mode="train").memory.total
            measured = measured_train_bytes(model, x, y)
            err = predicted / measured - 1
            rows.append({"data": source, "family": family, "predicted": predicted, "measured": measured, "error": err})
            print(f"{source:8s} {family:12s} predicted {predicted / 2**20:8.2f} MB  measured {measured / 2**20:8.2f} MB"
                  f"  error {100 * err:+6.1f} %  {'within' if abs(err) <= BAR else 'OUTSIDE'} ±15 %")
    inside = sum(abs(r["error"]) <= BAR for r in rows)
    print(f"\n{inside} of {len(rows)} within ±15 %")
    payload = {"batch": BATCH, "rows": rows}
    payload["summary"] = summary_rows(payload)
    return payload


def summary_rows(payload: dict[str, Any]) -> list[dict[str, Any]]:
    rows = payload["rows"]
    inside = sum(abs(r["error"]) <= BAR for r in rows)
    return [row(f"estimated vs measured peak training memory (batch {payload['batch']}), zoo families within ±15 %",
                f"{inside} of {len(rows)}", bar="every family within ±15 %", met=inside == len(rows), issue="#4")]


def render(payload: dict[str, Any]) -> str:
    lines = ["| data | family | predicted MB | measured MB | error | within ±15 % |", "|---|---|---|---|---|---|"]
    for r in payload["rows"]:
        lines.append(f"| {r['data']} | {r['family']} | {r['predicted'] / 2**20:.2f} | {r['measured'] / 2**20:.2f} | "
                     f"{100 * r['error']:+.1f} % | {'yes' if abs(r['error']) <= BAR else '**no**'} |")
    lines += ["", "See [estimate-accuracy.md](estimate-accuracy.md) for the published measurements, sizeup's "
                  "estimates, the errors and the efficiency factors."]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=1, quick_repeats=1)
    started = machine()
    path = write_results("estimate_memory-quick" if args.quick else "estimate_memory", run(args.quick), started=started)
    print(f"raw figures: {path}")


if __name__ == "__main__":
    main()
