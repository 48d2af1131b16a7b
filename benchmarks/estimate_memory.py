"""Predicted vs measured peak training memory of every zoo family on the bundled data (issue #4's ±15 % bar).

Predicted: ``sizeup.estimate.estimate_module(model, (batch,), mode="train")`` on the meta device.
Measured: weights + AdamW states + the peak bytes tensors took during one steady-state training step
(forward, backward, optimizer step), from the profiler's allocation events (``sizeup.measure``).

    python benchmarks/estimate_memory.py            # batch 64, every family that fits each data set
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from _common import describe_machine, machine, parse_args, write_results

import sizeup
import sizeup.zoo as zoo
from sizeup.estimate import estimate_module
from sizeup.measure import peak_memory_bytes

BATCH = 64
BAR = 0.15


def measured_train_bytes(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> int:
    opt = torch.optim.AdamW(model.parameters(), fused=True)  # what sizeup's training loop uses

    def step() -> None:
        F.cross_entropy(model(x), y).backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()  # the optimizer states exist before the measured step, as in every step after the first
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    states = sum(t.numel() * t.element_size() for s in opt.state.values() for t in s.values() if torch.is_tensor(t))
    return weights + states + (peak_memory_bytes(step) or 0)


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], repeats=1, quick_repeats=1)
    print(describe_machine(machine()))
    rows = []
    for source in (["digits"] if args.quick else ["mnist1d", "digits", "zh-news"]):
        data = sizeup.load_data(sizeup.Task.from_dict({"name": source, "data": {"source": source}}))
        for family in zoo.list_families(data.info.input_kind):
            torch.manual_seed(0)
            model = zoo.build(family, data.info)
            x, y = data.train.x[:BATCH], data.train.y[:BATCH]
            predicted = estimate_module(model, (x,), mode="train").memory.total
            measured = measured_train_bytes(model, x, y)
            err = predicted / measured - 1
            rows.append({"data": source, "family": family, "predicted": predicted, "measured": measured, "error": err})
            print(f"{source:8s} {family:12s} predicted {predicted / 2**20:8.2f} MB  measured {measured / 2**20:8.2f} MB"
                  f"  error {100 * err:+6.1f} %  {'within' if abs(err) <= BAR else 'OUTSIDE'} ±15 %")
    inside = sum(abs(r["error"]) <= BAR for r in rows)
    print(f"\n{inside} of {len(rows)} within ±15 %")
    write_results("estimate_memory-quick" if args.quick else "estimate_memory", {"batch": BATCH, "rows": rows})


if __name__ == "__main__":
    main()
