"""A saved model's costs, estimated once when a search finishes and kept in the run folder for the report:
memory by component and FLOPs by module, and what 4x and 16x wider versions of it would need.

Every figure comes from :func:`estimate_module` on the meta device (no weights, no data), the same code
``sizeup estimate`` runs, so the report and the CLI never disagree.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["winner_costs", "WIDER", "TRAIN_BATCH"]

WIDER = (1, 4, 16)
TRAIN_BATCH = 64


def _estimates(meta: dict[str, Any], **override: Any) -> dict[str, Any]:
    from sizeup.checkpoint import rebuild
    from sizeup.estimation._module_estimate import estimate_module
    from sizeup.estimation._zoo import meta_inputs

    model, info = rebuild(meta, device="meta", **override)
    return {"infer": estimate_module(model, meta_inputs(info, 1), mode="infer"),
            "train": estimate_module(model, meta_inputs(info, TRAIN_BATCH), mode="train")}


def _flops_by_module(meta: dict[str, Any]) -> dict[str, float]:
    from sizeup.checkpoint import rebuild
    from sizeup.estimation._zoo import meta_inputs
    from sizeup.measurement import countable_attention

    model, info = rebuild(meta, device="cpu")
    inputs = tuple(torch.zeros(t.shape, dtype=t.dtype) for t in meta_inputs(info, 1))
    with countable_attention(), torch.no_grad(), FlopCounterMode(display=False, depth=2) as counter:
        model.eval()(*inputs)
    prefix = type(model).__name__ + "."
    return {k.removeprefix(prefix): float(sum(v.values())) for k, v in counter.get_flop_counts().items()
            if k.startswith(prefix) and k.count(".") == 1}


def _scale_up(meta: dict[str, Any], est: dict[str, Any]) -> list[dict[str, Any]]:
    width = meta["config"].get("width")
    if not isinstance(width, int):
        return []
    rows = []
    for k in WIDER:
        sized = est if k == 1 else _estimates(meta, width=width * k)
        infer, train = sized["infer"], sized["train"]
        rows.append({"width": f"{k}x ({width * k})", "params": train.params, "forward FLOPs/sample": infer.flops.forward,
                     "inference memory (MiB)": infer.memory.total / 2**20,
                     f"training memory, batch {TRAIN_BATCH} (MiB)": train.memory.total / 2**20,
                     f"training step, batch {TRAIN_BATCH} (ms, roofline)": 1e3 * (train.timing.step_s or float("nan"))})
    return rows


def winner_costs(meta: dict[str, Any]) -> dict[str, Any]:
    """Memory by component (inference at batch 1, training at batch 64 with AdamW), forward FLOPs per module, and the
    4x and 16x wider versions, as plain data; a model sizeup cannot rebuild in PyTorch (ONNX) gets a note instead."""
    if meta.get("format") == "onnx" or (meta.get("compression") or {}).get("format") == "onnx":
        return {"note": "the model is an ONNX graph (quantized or classic): its costs are the measured ones on the leaderboard"}
    if "layer_sizes" in (meta.get("compression") or {}):
        return {"note": "the model was pruned structurally: its costs are the measured ones on the leaderboard"}
    est = _estimates(meta)
    return {"train_batch": TRAIN_BATCH,
            "memory": {mode: dataclasses.asdict(est[mode].memory) for mode in ("infer", "train")},
            "flops_by_module": _flops_by_module(meta), "scale_up": _scale_up(meta, est)}
