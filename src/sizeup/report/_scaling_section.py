"""The scaling section: per family, quality against parameters with the fitted saturating power law, its
interval band and the forecasts at larger sizes, from the run's ``scaling.json`` (``sizeup scale`` writes one
kind, a search the other; both hold ``families``)."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from sizeup.report._figures import COLORS, layout
from sizeup.report._page import Page, esc, table

__all__ = ["scaling_section"]


def _law(fit: dict[str, Any]) -> str:
    iv, x = fit["intervals"], fit["x"]
    floor = "≈ 0" if fit["E"] < 1e-6 else f"{fit['E']:.3g}"
    return (f"error = E + A·{x}<sup>−α</sup> with E {floor} ({iv['E'][0]:.3g}…{iv['E'][1]:.3g}), "
            f"α {fit['alpha']:.3f} ({iv['alpha'][0]:.3f}…{iv['alpha'][1]:.3f}); {fit['n_points']} points at "
            f"{fit['n_sizes']} sizes")


def _figure(name: str, fam: dict[str, Any], color: str) -> go.Figure:
    curve, metric, level = fam["curve"], fam["metric"], fam["level"]
    fig = go.Figure()
    band = curve.get("band_params", curve["params"])
    fig.add_trace(go.Scatter(x=band, y=curve["hi"], mode="lines", line=dict(width=0, shape="spline"),
                             hoverinfo="skip", showlegend=False))
    fig.add_trace(go.Scatter(x=band, y=curve["lo"], mode="lines", line=dict(width=0, shape="spline"), fill="tonexty",
                             fillcolor="rgba(78,121,167,0.18)", name=f"{level:.0%} interval", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=curve["params"], y=curve["value"], mode="lines", name="fit", line=dict(color=color),
                             hovertemplate="%{x:,.0f} params: %{y:.4f}<extra>fit</extra>"))
    pts = fam["points"]
    fig.add_trace(go.Scatter(x=[p["params"] for p in pts], y=[p["value"] for p in pts], mode="markers",
                             name="trained", marker=dict(color=color, size=8), text=[esc(p.get("label", "")) for p in pts],
                             hovertemplate="%{text}<br>%{x:,.0f} params: %{y:.4f}<extra></extra>"))
    fc = fam["forecasts"]
    if fc:
        fig.add_trace(go.Scatter(
            x=[f["params"] for f in fc], y=[f["value"] for f in fc], mode="markers", name="forecast",
            marker=dict(symbol="diamond-open", size=11, color="#333"), text=[f"{f['multiple']:g}×" for f in fc],
            error_y=dict(type="data", symmetric=False, array=[f["pred_hi"] - f["value"] for f in fc],
                         arrayminus=[f["value"] - f["pred_lo"] for f in fc], color="#333"),
            hovertemplate="%{text}: %{x:,.0f} params, %{y:.4f}<extra>forecast</extra>"))
    return layout(fig, f"{esc(name)}: test {esc(metric)} against parameters (log scale)",
                  xaxis=dict(type="log", title="parameters"), yaxis=dict(title=f"test {esc(metric)}"))


def _forecast_rows(fam: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in fam["forecasts"]:
        cost = f.get("cost") or {}
        r = {"size": f"{f['multiple']:g}×", "params": f["params"], fam["metric"]: f["value"],
             "interval": f"{f['lo']:.4f}…{f['hi']:.4f}", f"change ({fam['unit']})": f["gain"] * (1 if fam["higher_is_better"] else -1),
             "latency ×": f.get("latency_ratio")}
        if cost:
            r.update({"latency ms": cost["latency_ms"], "memory MB": cost["memory_mb"], "train s here": cost["train_seconds"],
                      "train s GPU (roofline)": cost["gpu_train_seconds"], "$ / 1k predictions, GPU": cost["gpu_usd_per_1k"]})
        rows.append(r)
    return rows


def _family(page: Page, name: str, fam: dict[str, Any], color: str) -> None:
    page.add(f"<h3>{esc(name)}</h3><p>{_law(fam['fit_params'])}.</p><p><b>{esc(fam.get('sentence', ''))}</b></p>")
    page.figures([_figure(name, fam, color)])
    rows = _forecast_rows(fam)
    if rows:
        page.add(table(rows, list(rows[0]), left=("size", "interval")))


def _sizes_table(payload: dict[str, Any]) -> str:
    rows = [{"size": ", ".join(f"{k}={v}" for k, v in s["knobs"].items() if k in ("width", "depth")),
             "params": s["params"], "latency ms": s["latency_ms"], "memory MB": s["memory_mb"],
             "train s": s["train_seconds"], "train FLOPs": s["train_flops"]} for s in payload["sizes"]]
    return ("<p class=\"muted\">Trained sizes, measured on this device (medians over seeds).</p>"
            + table(rows, list(rows[0]), left=("size",)) if rows else "")


def scaling_section(payload: dict[str, Any], page: Page) -> None:
    """Append the scaling curves, their intervals and forecasts (and, for ``sizeup scale``, the sizes) to ``page``."""
    families = payload.get("families") or {}
    intro = ("Test quality against size, fitted with a saturating power law (error = E + A·N<sup>−α</sup>); the band "
             "is the bootstrap interval of the curve, the error bars on the forecasts the interval of a new "
             "measurement. A search's trials vary more than size, so its curves follow each family's best trial per size.")
    page.add(f'<h2 id="scaling">Scaling: does going bigger pay?</h2><p>{intro}</p>')
    if payload.get("verdict"):
        page.add(f'<div class="box"><b>{esc(payload["verdict"])}</b></div>')
    for i, (name, fam) in enumerate(families.items()):
        _family(page, name, fam, COLORS[i % len(COLORS)])
    if payload.get("sizes"):
        page.add(_sizes_table(payload))
    refused = payload.get("refused") or {}
    if refused:
        page.add("<p class=\"muted\">Not fitted: " + "; ".join(f"{esc(k)}: {esc(v)}" for k, v in refused.items()) + "</p>")
