"""The winner's costs as figures, from ``estimates.json`` (``sizeup.estimation.winner_costs``, written when the
search finished): memory by component and forward FLOPs by module."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from sizeup.report._figures import layout

__all__ = ["winner_figures"]


def winner_figures(est: dict[str, Any]) -> list[go.Figure]:
    """Memory by component (inference, batch 1; training with AdamW) and forward FLOPs by module."""
    memory, batch = est["memory"], est.get("train_batch", 64)
    parts = [k for k in memory["train"] if k != "total"]
    mem = go.Figure([go.Bar(name=part, x=["inference (batch 1)", f"training (batch {batch}, AdamW)"],
                            y=[memory[m][part] / 2**20 for m in ("infer", "train")]) for part in parts])
    figs = [layout(mem, "winner: estimated memory by component (MiB)", barmode="stack", yaxis=dict(title="MiB"))]
    flops = est.get("flops_by_module") or {}
    if flops:
        fl = go.Figure(go.Bar(x=list(flops), y=list(flops.values()), marker_color="#4e79a7"))
        figs.append(layout(fl, "winner: forward FLOPs per sample by module", yaxis=dict(title="FLOPs")))
    return figs
