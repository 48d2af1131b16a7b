"""The search as plotly figures: quality against cost with the Pareto front and the limits, quality by
family, learning curves of the top candidates, and search progress (best so far) over time."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from sizeup.report._run import RunView, history_of

__all__ = ["search_figures", "class_balance", "COLORS", "layout"]

COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
LIMIT_OF = {"latency_ms": "max_latency_ms", "params": "max_params"}
TOP_CURVES = 5


def layout(fig: go.Figure, title: str, **kw: Any) -> go.Figure:
    kw = {"height": 360, **kw, "legend": {"font": dict(size=11), **kw.get("legend", {})}}
    fig.update_layout(title=dict(text=title, font=dict(size=14)), template="plotly_white",
                      margin=dict(l=60, r=20, t=50, b=50), **kw)
    return fig


def _family_color(run: RunView) -> dict[str, str]:
    families = sorted(run.board["family"].dropna().astype(str).unique())
    return {f: COLORS[i % len(COLORS)] for i, f in enumerate(families)}


def quality_vs_cost(run: RunView, cost: str) -> go.Figure | None:
    q, board = run.quality, run.board
    pts = board[(board["status"] == "completed") & board[cost].notna() & board[q].notna()]
    if pts.empty:
        return None
    fig, color = go.Figure(), _family_color(run)
    for family, group in pts.groupby("family"):
        fig.add_trace(go.Scatter(x=group[cost], y=group[q], mode="markers", name=str(family),
                                 marker=dict(size=9, color=color[str(family)]), text=group["model"],
                                 customdata=group["id"],
                                 hovertemplate="trial %{customdata}: %{text}<br>%{y:.4f} at %{x:.4g}<extra></extra>"))
    front = run.front if cost == "latency_ms" else run.front_params
    if len(front):
        fig.add_trace(go.Scatter(x=front[cost], y=front[q], mode="lines", name="Pareto front",
                                 line=dict(color="#333", shape="hv", width=1.5), hoverinfo="skip"))
    if run.recommendation.get("id") is not None:
        win = pts[pts["id"].astype(str) == str(run.recommendation["id"])]
        fig.add_trace(go.Scatter(x=win[cost], y=win[q], mode="markers", name="recommended", hoverinfo="skip",
                                 marker=dict(size=18, color="rgba(0,0,0,0)", line=dict(color="#0a0", width=3))))
    limit = run.limits.get(LIMIT_OF[cost])
    if limit is not None:
        fig.add_vline(x=limit, line=dict(color="#c00", dash="dash"), annotation_text=f"{LIMIT_OF[cost]} = {limit:g}")
    return layout(fig, f"{run.metric} vs {cost} (log scale)", xaxis=dict(type="log", title=cost),
                  yaxis=dict(title=q))


def quality_by_family(run: RunView) -> go.Figure | None:
    q, board = run.quality, run.board
    pts = board[board[q].notna()]
    if pts.empty:
        return None
    fig, color = go.Figure(), _family_color(run)
    for family, group in pts.groupby("family"):
        fig.add_trace(go.Box(y=group[q], name=str(family), boxpoints="all", jitter=0.3, pointpos=0,
                             marker_color=color[str(family)], text=group["model"] + " (" + group["status"] + ")",
                             hovertemplate="%{text}: %{y:.4f}<extra></extra>"))
    return layout(fig, f"validation {run.metric} by family (completed and pruned)", yaxis=dict(title=q),
                  showlegend=False)


def learning_curves(run: RunView) -> go.Figure | None:
    done = run.board[(run.board["status"] == "completed") & (run.board["compression"] == "")].head(TOP_CURVES)
    top = done["trial"].astype(int).tolist()
    models = dict(zip(top, done["model"]))
    fig = go.Figure()
    for i, number in enumerate(top):
        history = history_of(run, number)
        if not history:
            continue
        label = f"#{number} {models[number]}"
        epochs = [h["epoch"] for h in history]
        c = COLORS[i % len(COLORS)]
        fig.add_trace(go.Scatter(x=epochs, y=[h.get(run.quality) for h in history], name=label, mode="lines+markers",
                                 line=dict(color=c), legendgroup=str(number)))
        fig.add_trace(go.Scatter(x=epochs, y=[h.get("train_loss") for h in history], name=f"{label} train loss",
                                 mode="lines", line=dict(color=c, dash="dot"), yaxis="y2", legendgroup=str(number),
                                 showlegend=False))
    if not fig.data:
        return None
    return layout(fig, f"learning curves of the top {len(top)}: validation {run.metric} (solid), train loss (dotted)",
                  xaxis=dict(title="epoch"), yaxis=dict(title=run.quality),
                  yaxis2=dict(title="train loss", overlaying="y", side="right", showgrid=False),
                  legend=dict(orientation="h", yanchor="top", y=-0.25, font=dict(size=10)), height=420)


def search_progress(run: RunView) -> go.Figure | None:
    trials = run.board[run.board["compression"] == ""]
    finished = {int(k): v.get("finished_s") for k, v in (run.history or {}).items()}
    rows = pd.DataFrame([{"trial": int(r["trial"]), "s": finished.get(int(r["trial"])), "q": r[run.quality],
                          "status": r["status"], "model": r["model"]} for _, r in trials.iterrows()])
    if rows.empty or rows["s"].isna().all():
        return None
    rows = rows[rows["s"].notna()].sort_values("s")
    fig = go.Figure()
    for status, group in rows[rows["q"].notna()].groupby("status"):
        fig.add_trace(go.Scatter(x=group["s"], y=group["q"], mode="markers", name=str(status), text=group["model"],
                                 customdata=group["trial"],
                                 hovertemplate="trial %{customdata}: %{text}<br>%{y:.4f}<extra></extra>"))
    completed = rows[(rows["status"] == "completed") & rows["q"].notna()]
    if len(completed):
        best = completed["q"].cummax() if run.higher else completed["q"].cummin()
        fig.add_trace(go.Scatter(x=completed["s"], y=best, mode="lines", name="best so far",
                                 line=dict(color="#333", shape="hv")))
    return layout(fig, "search progress: each trial when it finished, and the best so far",
                  xaxis=dict(title="seconds since the search started"), yaxis=dict(title=run.quality))


def class_balance(summary: dict[str, Any] | None) -> go.Figure | None:
    if not summary or not summary.get("class_counts"):
        return None
    names = summary.get("class_names") or [str(i) for i in range(summary["n_outputs"])]
    fig = go.Figure([go.Bar(x=[str(n) for n in names], y=counts, name=split)
                     for split, counts in summary["class_counts"].items()])
    return layout(fig, "class balance (examples per class)", barmode="group", height=300, xaxis=dict(type="category"))


def search_figures(run: RunView) -> list[go.Figure]:
    figs = [quality_vs_cost(run, "latency_ms"), quality_vs_cost(run, "params"), quality_by_family(run),
            learning_curves(run), search_progress(run)]
    return [f for f in figs if f is not None]
