"""``cost.html``: the comparison table and the cost-vs-volume plot with each break-even marked.

A self-contained page (plotly.js inlined by plotly itself, so it opens offline), written atomically. It is
kept apart from ``sizeup.report``, which sits above this package.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

from sizeup._io import atomic_path
from sizeup.costs._types import CostResult
from sizeup.costs.traffic import HOURS_PER_MONTH

__all__ = ["write_cost_page", "cost_figure", "volume_curve"]

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#222}"
          "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
          "th{background:#f4f4f4}td:first-child{text-align:left}.muted{color:#666;font-size:13px}")
_SHOWN_APIS = 6


def volume_curve(result: CostResult, hardware: str, volumes: list[float]) -> list[float]:
    """Monthly cost of self-hosting on ``hardware`` at each monthly token volume (whole replicas, all month)."""
    o = next(o for o in result.options if o.hardware == hardware)
    t = result.traffic
    capacity_rps = o.point.output_tokens_per_s / t.output
    month_per_replica = o.tp * o.usd_per_gpu_hour * HOURS_PER_MONTH
    out = []
    for v in volumes:
        peak_rps = v / (t.input + t.output) / (HOURS_PER_MONTH * 3600) * t.peak
        out.append(max(1, math.ceil(peak_rps / capacity_rps - 1e-9)) * month_per_replica)
    return out


def cost_figure(result: CostResult):  # noqa: ANN201 - a plotly Figure
    """Cost per month against tokens per month (log-log): a step curve per device, a line per API."""
    import plotly.graph_objects as go

    now = result.traffic.tokens_per_month
    lo, hi = min(1e6, now / 100), max(1e11, now * 100)
    volumes = [lo * (hi / lo) ** (i / 240) for i in range(241)]
    fig = go.Figure()
    for o in result.options:
        if o.meets_slo and o.usd_per_gpu_hour:
            fig.add_trace(go.Scatter(x=volumes, y=volume_curve(result, o.hardware, volumes), mode="lines",
                                     name=f"{o.hardware} ×{o.tp} (self-hosted)", line=dict(width=3, shape="hv")))
    same_model = [a for a in result.apis if a.model == result.model]
    shown = {a.name: a for a in [*result.apis[:_SHOWN_APIS], *same_model]}
    for a in shown.values():
        fig.add_trace(go.Scatter(x=[volumes[0], volumes[-1]], y=[a.usd_per_1m_tokens * v / 1e6 for v in (volumes[0], volumes[-1])],
                                 mode="lines", name=f"{a.name} API", line=dict(dash="dash", width=1.5)))
    marks = [b for b in result.breakeven if b.tokens_per_month and b.api in shown]
    if marks:
        ys = [shown[b.api].usd_per_1m_tokens * b.tokens_per_month / 1e6 for b in marks]
        fig.add_trace(go.Scatter(x=[b.tokens_per_month for b in marks], y=ys, mode="markers", name="break-even",
                                 marker=dict(size=11, symbol="x", color="#c00"),
                                 text=[f"{b.hardware} = {b.api}" for b in marks],
                                 hovertemplate="%{text}<br>%{x:.3g} tokens/month, $%{y:,.0f}/month<extra></extra>"))
    fig.add_vline(x=now, line=dict(color="#333", dash="dot"), annotation_text="your traffic")
    fig.update_layout(title="Monthly cost against monthly volume (same request shape and peak ratio)",
                      xaxis=dict(type="log", title="tokens per month (prompt + generated)"),
                      yaxis=dict(type="log", title="USD per month"), template="plotly_white", height=520)
    return fig


def _money(x: float | None) -> str:
    return "" if x is None else f"${x:,.2f}" if x < 100 else f"${x:,.0f}"


def _rows(result: CostResult) -> str:
    head = ("<tr><th>option</th><th>devices</th><th>batch</th><th>TTFT ms</th><th>TPOT ms</th><th>utilisation</th>"
            "<th>$ / month</th><th>$ / 1M tokens</th><th>J / token</th><th>quality</th><th>meets SLO</th></tr>")
    body = []
    for o in result.options:
        p, e = o.point, o.energy
        body.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in (
            o.name + f" ({o.dtype})", f"{o.gpus} × {o.hardware}" if o.fits else "does not fit",
            p.batch if p else "", f"{p.ttft_s * 1e3:,.0f}" if p else "", f"{p.tpot_s * 1e3:,.1f}" if p else "",
            f"{o.utilisation:.0%}" if o.fits else "", _money(o.usd_per_month) if o.fits else "",
            _money(o.usd_per_1m_tokens), f"{e.joules_per_token:.3g}" if e else "",
            "" if o.quality is None else f"{o.quality:g}", "yes" if o.meets_slo else "no")) + "</tr>")
    for a in result.apis:
        body.append("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in (
            f"{a.name} API ({a.provider}, {a.kind}, as of {a.as_of})", "", "", "", "", "", _money(a.usd_per_month),
            _money(a.usd_per_1m_tokens), "", "" if a.quality is None else f"{a.quality:g}", "")) + "</tr>")
    return f"<table>{head}{''.join(body)}</table>"


def write_cost_page(result: CostResult, path: str | Path) -> Path:
    """Write the page to ``path`` (atomically) and return it."""
    from plotly.io import to_html

    t = result.traffic
    figure = to_html(cost_figure(result), include_plotlyjs=True, full_html=False, default_width="100%")
    sources = "".join(f"<li>{escape(a.name)}: {escape(a.source)} ({escape(a.as_of)})</li>" for a in result.apis)
    energy = "".join(f"<li>{escape(o.hardware)}: {escape(o.energy.source)}</li>" for o in result.options if o.energy)
    html = (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>sizeup cost: {escape(result.model)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>Serving {escape(result.model)}: self-hosted or API?</h1>"
            f"<p>{t.tokens_per_day:,.3g} tokens per day ({t.requests_per_day:,.0f} requests of {t.input} prompt + "
            f"{t.output} generated tokens), peak {t.peak:g}× the mean. Cheapest that meets the SLO: "
            f"<b>{escape(result.cheapest)}</b>.</p>{_rows(result)}{figure}"
            f"<h2>Where the numbers come from</h2><p class='muted'>Efficiency factors: "
            f"{escape(', '.join(f'{k}={v:g}' for k, v in result.efficiency.items()))}. Energy figures are estimates:</p>"
            f"<ul class='muted'>{energy}</ul><p class='muted'>Prices:</p><ul class='muted'>{sources}</ul>"
            + "".join(f"<p class='muted'>note: {escape(n)}</p>" for n in result.notes) + "</body></html>")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
