"""Write ``report.html``: task and data, the recommendation and its reasons, plots and the leaderboard."""

from __future__ import annotations

from html import escape
from typing import Any

from sizeup._io import atomic_path
from sizeup.data.bundle import DataInfo
from sizeup.report._svg import scatter

__all__ = ["write_report"]

CSS = """body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 6px;text-align:right}
th{background:#f4f4f4}td.l{text-align:left}.ok{color:#0a0}.no{color:#c00}.box{background:#f7f9fc;
border:1px solid #cfd8e3;padding:1rem;border-radius:6px}svg{margin:0.5rem 1rem 0.5rem 0}"""


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    return escape(str(v)) if v is not None else ""


def _table(df, columns: list[str]) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    rows = []
    for _, r in df.iterrows():
        cells = "".join(f'<td class="l">{_cell(r[c])}</td>' if c in ("model", "status", "reason", "family")
                        else f"<td>{_cell(r[c])}</td>" for c in columns)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def write_report(result, task, info: DataInfo) -> None:
    """One self-contained HTML file in the run folder; every user-supplied string is escaped."""
    board, rec, metric = result.leaderboard, result.recommended, result.metric
    q = f"val_{metric}"
    limits = task.constraints.active()
    classes = ", ".join(info.class_names or []) or "-"
    status = board["status"].value_counts().to_dict() if not board.empty else {}
    plots = scatter(board, "latency_ms", q, front=result.pareto, limit=limits.get("max_latency_ms"),
                    title=f"{metric} vs batch-1 latency") + \
        scatter(board, "params", q, front=result.pareto_params, limit=limits.get("max_params"),
                title=f"{metric} vs parameters")
    verdict = "ok" if rec.feasible else "no"
    cols = ["trial", "family", "model", "status", "params", "flops", "latency_ms", "memory_mb", "train_seconds",
            q, f"test_{metric}", "reason"]
    body = f"""<h1>sizeup report: {escape(task.name)}</h1>
<p>Data <b>{escape(info.name)}</b> ({escape(info.input_kind)} input, shape {escape(str(tuple(info.input_shape)))},
{escape(info.task)}): {info.n_train:,} train / {info.n_val:,} validation / {info.n_test:,} test; classes: {escape(classes)}.
Metric: {escape(metric)}. Constraints: {escape(', '.join(f'{k} = {v:g}' for k, v in limits.items()) or 'none')}.
Trials: {escape(', '.join(f'{n} {s}' for s, n in status.items()))}.</p>
<div class="box"><h2 class="{verdict}">{escape(rec.headline)}</h2><ul>{''.join(f'<li>{escape(r)}</li>' for r in rec.reasons)}</ul></div>
<h2>Quality against cost</h2><p>Each point is a completed candidate; the line joins the Pareto front; the dashed red line is the limit.</p>
{plots}
<h2>Leaderboard</h2>{_table(board, [c for c in cols if c in board.columns])}"""
    page = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sizeup: {escape(task.name)}</title>'
            f"<style>{CSS}</style></head><body>{body}</body></html>")
    with atomic_path(result.out_dir / "report.html") as tmp:
        tmp.write_text(page, encoding="utf-8")
