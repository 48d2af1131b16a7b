"""The winner's costs: memory by component and FLOPs by module, and what 4x and 16x wider would cost.

Every figure comes from :func:`sizeup.estimation.estimate_module` on the meta device (no weights, no
data), the same code ``sizeup estimate`` runs, so the report and the CLI never disagree.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import plotly.graph_objects as go
import torch
from torch.utils.flop_counter import FlopCounterMode

from sizeup.report._figures import layout

__all__ = ["estimates", "winner_figures", "scale_up", "WIDER"]

WIDER = (1, 4, 16)
TRAIN_BATCH = 64


def _build(winner: dict[str, Any], device: str, **override: Any) -> tuple[torch.nn.Module, Any]:
    from sizeup.data.bundle import DataInfo
    from sizeup.zoo import build, get_family

    info = DataInfo.from_dict(winner["data"])
    config = get_family(winner["family"]).config_cls(**{**winner["config"], **override})
    with torch.device(device):
        return build(winner["family"], info, config=config), info


def estimates(winner: dict[str, Any], **override: Any) -> dict[str, Any]:
    """The winner's (or a resized copy's) inference estimate at batch 1 and training estimate at batch 64."""
    from sizeup.estimation import estimate_module
    from sizeup.estimation._zoo import meta_inputs

    model, info = _build(winner, "meta", **override)
    infer = estimate_module(model, meta_inputs(info, 1), mode="infer")
    train = estimate_module(model, meta_inputs(info, TRAIN_BATCH), mode="train")
    return {"infer": infer, "train": train}


def _flops_by_module(winner: dict[str, Any]) -> dict[str, float]:
    from sizeup.estimation._zoo import meta_inputs
    from sizeup.measurement import countable_attention

    model, info = _build(winner, "cpu")
    inputs = tuple(torch.zeros(t.shape, dtype=t.dtype) for t in meta_inputs(info, 1))
    with countable_attention(), torch.no_grad(), FlopCounterMode(display=False, depth=2) as counter:
        model.eval()(*inputs)
    prefix = type(model).__name__ + "."
    return {k.removeprefix(prefix): float(sum(v.values())) for k, v in counter.get_flop_counts().items()
            if k.startswith(prefix) and k.count(".") == 1}


def winner_figures(winner: dict[str, Any], est: dict[str, Any]) -> list[go.Figure]:
    """Memory by component (inference, batch 1; training, batch 64 with AdamW) from :func:`estimates`, and
    forward FLOPs by module."""
    parts = [k for k in dataclasses.asdict(est["train"].memory) if k != "total"]
    mem = go.Figure([go.Bar(name=part, x=["inference (batch 1)", f"training (batch {TRAIN_BATCH}, AdamW)"],
                            y=[getattr(est[m].memory, part) / 2**20 for m in ("infer", "train")]) for part in parts])
    figs = [layout(mem, "winner: estimated memory by component (MiB)", barmode="stack", yaxis=dict(title="MiB"))]
    flops = _flops_by_module(winner)
    if flops:
        fl = go.Figure(go.Bar(x=list(flops), y=list(flops.values()), marker_color="#4e79a7"))
        figs.append(layout(fl, "winner: forward FLOPs per sample by module", yaxis=dict(title="FLOPs")))
    return figs


def scale_up(winner: dict[str, Any], est: dict[str, Any]) -> list[dict[str, Any]]:
    """The winner at 1x (``est``, from :func:`estimates`), 4x and 16x its width: params, FLOPs, memory and
    roofline time on this CPU."""
    width = winner["config"].get("width")
    if not isinstance(width, int):
        return []
    rows = []
    for k in WIDER:
        sized = est if k == 1 else estimates(winner, width=width * k)
        infer, train = sized["infer"], sized["train"]
        rows.append({"width": f"{k}x ({width * k})", "params": train.params, "forward FLOPs/sample": infer.flops.forward,
                     "inference memory (MiB)": infer.memory.total / 2**20,
                     f"training memory, batch {TRAIN_BATCH} (MiB)": train.memory.total / 2**20,
                     f"training step, batch {TRAIN_BATCH} (ms, roofline)": 1e3 * (train.timing.step_s or float("nan"))})
    return rows
