"""The privacy section: what ``sizeup privacy`` wrote (``privacy.json``), as a table and quality against ε."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from sizeup.report._figures import layout
from sizeup.report._page import Page, esc, table

__all__ = ["privacy_section"]


def _figure(payload: dict[str, Any]) -> go.Figure:
    key = f"test_{payload['metric']}"
    private = [p for p in payload["points"] if p["epsilon_target"] is not None]
    rows = sorted((r for r in payload["rows"] if r["epsilon_target"] is not None), key=lambda r: r["epsilon_target"])
    fig = go.Figure([
        go.Scatter(x=[p["epsilon_target"] for p in private], y=[p["test"] for p in private], mode="markers",
                   name="one seed", marker=dict(color="#e15759", opacity=0.45, size=7),
                   text=[f"seed {p['seed']}: ε spent {p['epsilon']:.3f}" for p in private],
                   hovertemplate="ε %{x}: %{y:.4f}<br>%{text}<extra></extra>"),
        go.Scatter(x=[r["epsilon_target"] for r in rows], y=[r[key] for r in rows], mode="lines+markers",
                   name="median", line=dict(color="#e15759", width=2), marker=dict(size=9)),
    ])
    for r, dash in zip((r for r in payload["rows"] if r["epsilon_target"] is None), ("dash", "dot")):
        fig.add_hline(y=r[key], line_dash=dash, line_color="#444", annotation_text=esc(f"{r['budget']}: {r[key]:.4f}"),
                      annotation_position="bottom right")
    return layout(fig, f"test {esc(payload['metric'])} against the privacy budget ε (δ = {payload['delta']:g})",
                  xaxis=dict(title="ε (log scale)", type="log"), yaxis=dict(title=f"test {esc(payload['metric'])}"))


def privacy_section(payload: dict[str, Any], page: Page) -> None:
    """Append the privacy-utility curve of ``privacy.json`` to ``page``."""
    key = f"test_{payload['metric']}"
    rows = [{**r, "spread": f"{r[f'{key}_min']:.4f}–{r[f'{key}_max']:.4f}"} for r in payload["rows"]]
    seeds = max((r["seeds"] for r in rows), default=0)
    page.add(f'<h2 id="privacy">Privacy: {esc(payload["family"])} trained with DP-SGD</h2><p>Each ε trains the '
             f"model's private variant with (ε, δ = {payload['delta']:g})-DP-SGD (Opacus: per-sample clipping, Gaussian "
             f"noise, Poisson sampling); the references train without DP. Medians over {seeds} seed(s); "
             "“ε spent” is the accountant's figure for the steps actually taken. The guarantee covers the training "
             "rows only (see docs/privacy.md).</p>")
    page.figures([_figure(payload)])
    page.add(table(rows, ["budget", "model", "epsilon_target", "epsilon_spent", key, "spread", "of_non_private",
                          "noise_multiplier", "accountant"], left=("budget", "model", "accountant")))
